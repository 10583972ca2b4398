import { MigrationInterface, QueryRunner } from 'typeorm';

/** Must stay equal to the list query's rank expression (tasks/tasks.repository.ts). */
const PRIORITY_RANK_SQL = `CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

/** A nullable sort key as keySql (common/paging/keyset.ts) writes it for each order. */
const lastWhenNull = (column: string, order: 'asc' | 'desc') =>
  `COALESCE(${column}, '${order === 'asc' ? '' : '-'}infinity'::timestamptz)`;

const LIVE = 'WHERE deleted_at IS NULL';

/**
 * Issue 18: the admin console at 100k users and 2M tasks, every page from an index.
 *
 * - A sort on a nullable key (a task's due date, a user's last login) sorts its NULLs last in both
 *   orders as the infinity that sorts last (keySql): an index on `(key NULLS LAST, id)` serves the
 *   first page but not a seek past a NULL, which needs `key > v OR key IS NULL OR ...` and read
 *   every row before the cursor. The owner's two due-date indexes and the users' last-login index
 *   become expression indexes, one per order (the due_before and due_after filters use them too).
 * - Every sort of the admin's task list over all users has its index (the owner's all start with
 *   user_id): updated, title, due date (two), priority, position; created had one.
 * - Users: the rare filters (role admin, banned) get small partial indexes, which also serve the
 *   admin lockout's `WHERE role = 'admin' OR id = $1` lock; `q` gets trigram indexes on email and
 *   name, like the tasks' title and description (skipped without pg_trgm, as there).
 */
export class AdminAtScale1764600000000 implements MigrationInterface {
  name = 'AdminAtScale1764600000000';

  async up(db: QueryRunner): Promise<void> {
    for (const order of ['asc', 'desc'] as const) {
      const due = lastWhenNull('due_date', order);
      await db.query(`DROP INDEX tasks_user_due_${order}_idx`);
      await db.query(
        `CREATE INDEX tasks_user_due_${order}_idx ON task_rows (user_id, ${due}, id) ${LIVE}`,
      );
      await db.query(`CREATE INDEX tasks_due_${order}_idx ON task_rows (${due}, id) ${LIVE}`);
      await db.query(
        `CREATE INDEX users_last_login_${order}_idx ON users (${lastWhenNull('last_login_at', order)}, id)`,
      );
    }
    await db.query(`DROP INDEX users_last_login_at_id_idx`);
    await db.query(`CREATE INDEX tasks_updated_idx ON task_rows (updated_at, id) ${LIVE}`);
    await db.query(`CREATE INDEX tasks_title_idx ON task_rows (lower(title), id) ${LIVE}`);
    await db.query(
      `CREATE INDEX tasks_priority_idx ON task_rows ((${PRIORITY_RANK_SQL}), id) ${LIVE}`,
    );
    await db.query(`CREATE INDEX tasks_position_idx ON task_rows (position, id) ${LIVE}`);

    await db.query(`CREATE INDEX users_admins_idx ON users (id) WHERE role = 'admin'`);
    await db.query(`CREATE INDEX users_banned_idx ON users (id) WHERE banned`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
          CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
          CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);
        END IF;
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const index of [
      'users_name_trgm_idx',
      'users_email_trgm_idx',
      'users_banned_idx',
      'users_admins_idx',
      'tasks_position_idx',
      'tasks_priority_idx',
      'tasks_title_idx',
      'tasks_updated_idx',
      'users_last_login_desc_idx',
      'users_last_login_asc_idx',
      'tasks_due_desc_idx',
      'tasks_due_asc_idx',
      'tasks_user_due_desc_idx',
      'tasks_user_due_asc_idx',
    ]) {
      await db.query(`DROP INDEX IF EXISTS ${index}`);
    }
    await db.query(`CREATE INDEX users_last_login_at_id_idx ON users (last_login_at, id)`);
    await db.query(
      `CREATE INDEX tasks_user_due_asc_idx ON task_rows (user_id, due_date ASC NULLS LAST, id ASC) ${LIVE}`,
    );
    await db.query(
      `CREATE INDEX tasks_user_due_desc_idx ON task_rows (user_id, due_date DESC NULLS LAST, id DESC) ${LIVE}`,
    );
  }
}
