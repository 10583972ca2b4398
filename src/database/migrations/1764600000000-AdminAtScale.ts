import { MigrationInterface, QueryRunner } from 'typeorm';

/** Must stay equal to the list query's rank expression (tasks/tasks.repository.ts). */
const PRIORITY_RANK_SQL = `CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

/** A nullable sort key as keySql (common/paging/keyset.ts) writes it for each order. */
const lastWhenNull = (column: string, order: 'asc' | 'desc') =>
  `COALESCE(${column}, '${order === 'asc' ? '' : '-'}infinity'::timestamptz)`;

const LIVE = 'WHERE deleted_at IS NULL';

/** Rows of each global counter: writers of different users rarely wait for one another. */
const SHARDS = 16;

/** The live rows of a transition table, each counted `sign` times (+1 after the statement, -1 before). */
const live = (rows: string, sign: 1 | -1) =>
  `SELECT user_id, completed, due_date, ${sign} AS n FROM ${rows} WHERE deleted_at IS NULL`;

/**
 * The body of a task_rows statement trigger: what the statement changed in the counts (`sides`:
 * its transition tables as `live` rows), applied to each counter it moved and to no other, so a
 * statement that changes nothing counted (a title, a move, the purge of trashed rows) locks no
 * counter row. Buckets are upserted in key order, the order the fold job deletes them in.
 */
const countTaskRows = (...sides: string[]) => `
  BEGIN
    WITH d AS (${sides.join(' UNION ALL ')}),
    by_user AS (
      UPDATE user_task_counts c SET tasks = c.tasks + x.n
        FROM (SELECT user_id, sum(n) AS n FROM d GROUP BY user_id) x
       WHERE c.user_id = x.user_id AND x.n <> 0),
    by_shard AS (
      UPDATE task_stats s SET tasks = s.tasks + x.n, completed = s.completed + x.done
        FROM (SELECT stat_shard(user_id) AS shard, sum(n) AS n,
                     coalesce(sum(n) FILTER (WHERE completed), 0) AS done
                FROM d GROUP BY 1) x
       WHERE s.shard = x.shard AND (x.n <> 0 OR x.done <> 0))
    INSERT INTO task_due_stats AS s (due_hour, shard, pending)
    SELECT date_trunc('hour', due_date, 'UTC'), stat_shard(user_id), sum(n) FROM d
     WHERE NOT completed AND due_date IS NOT NULL
     GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2
    ON CONFLICT (due_hour, shard) DO UPDATE SET pending = s.pending + EXCLUDED.pending;
    RETURN NULL;
  END`;

/** The body of a users statement trigger: users, admins and banned of each shard moved by `sign`. */
const countUsers = (rows: string, sign: '+' | '-') => `
  UPDATE user_stats s
     SET users = s.users ${sign} x.users, admins = s.admins ${sign} x.admins,
         banned = s.banned ${sign} x.banned
    FROM (SELECT stat_shard(id) AS shard, count(*) AS users,
                 count(*) FILTER (WHERE role = 'admin') AS admins,
                 count(*) FILTER (WHERE banned) AS banned
            FROM ${rows} GROUP BY 1) x
   WHERE s.shard = x.shard`;

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
 * - `q` on tasks: the trigram indexes find the rows holding every trigram of each word, which for
 *   common words is most rows even when the phrase is in none ("lorem lorem lorem": 1.5M of 2M
 *   rechecked). A GIN index on the 4-grams of the lower-cased title and description, spaces
 *   included (`text_grams`), rules those out: "em l" is in no "lorem ipsum lorem ipsum".
 * - A user delete (an admin's) cascades to all of the user's task rows, trashed ones included,
 *   which no partial index covers: `tasks_user_idx` (and one for its recurring completions).
 * - Users: the rare filters (role admin, banned) get small partial indexes, which also serve the
 *   admin lockout's `WHERE role = 'admin' OR id = $1` lock; `q` gets trigram indexes on email and
 *   name, like the tasks' title and description (skipped without pg_trgm, as there).
 *
 * And `GET /api/admin/stats` and each AdminUser's `task_count` without a count over the tables:
 * counters kept in the transaction of every write, by triggers, so no code path (a cascade, a bulk
 * statement, a migration) can forget them. Statement triggers with transition tables: one update
 * per counter per statement however many rows it writes (a list of 8000 tasks to the trash).
 * - `user_task_counts`: each user's live tasks (a row per user, made with the user).
 * - `task_stats`: live tasks and completed ones; `user_stats`: users, admins, banned. SHARDS rows
 *   each, a user's writes counted in the shard of its id (`stat_shard`): a counter row is locked
 *   from the write to its commit, and one row would queue every writer of the API behind it.
 * - Overdue tasks change with the clock, not with writes: `task_due_stats` counts the pending live
 *   tasks with a due date by the UTC hour they fall due in (and shard). Overdue is the sum of the
 *   hours before the current one plus the tasks due in the current hour before now, counted through
 *   the due-date index (a range of one hour's tasks). The `stats.fold` job folds past hours into
 *   one row per shard (`-infinity`), so the sum reads a few rows whatever the history; a write to
 *   a folded hour (an old task completed) makes a row of its own there, folded at the next run.
 * - Trashed tasks count nowhere (only rows with deleted_at NULL are counted). TRUNCATE resets.
 * The migration locks both tables (SHARE: reads go on, writers wait) so that no write falls
 * between the counts it takes and the triggers it creates.
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
    // The planner has no statistics of a partial index's expressions: without these it takes
    // 1/3 of the rows for any due_before or due_after (a due_before with no match: a seq scan).
    await db.query(`
      CREATE STATISTICS tasks_due_last_stats
        ON (${lastWhenNull('due_date', 'asc')}), (${lastWhenNull('due_date', 'desc')}) FROM task_rows`);
    await db.query(`DROP INDEX users_last_login_at_id_idx`);
    await db.query(`CREATE INDEX tasks_updated_idx ON task_rows (updated_at, id) ${LIVE}`);
    await db.query(`CREATE INDEX tasks_title_idx ON task_rows (lower(title), id) ${LIVE}`);
    await db.query(
      `CREATE INDEX tasks_priority_idx ON task_rows ((${PRIORITY_RANK_SQL}), id) ${LIVE}`,
    );
    await db.query(`CREATE INDEX tasks_position_idx ON task_rows (position, id) ${LIVE}`);

    // q: the 4-grams of the lower-cased text, spaces included (the trigram indexes split words).
    await db.query(`
      CREATE FUNCTION text_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ARRAY(SELECT (regexp_matches(substr(lower(t), k), '....', 'g'))[1]
                       FROM generate_series(1, 4) k)
      $$`);
    await db.query(`
      CREATE INDEX tasks_search_grams_idx ON task_rows
        USING gin ((text_grams(title) || text_grams(description))) ${LIVE}`);
    // An admin's user delete cascades to the user's task rows, trashed ones too, which no
    // partial index covers (a seq scan of 2M rows: 1.2 s); and to its completions.
    await db.query(`CREATE INDEX tasks_user_idx ON task_rows (user_id)`);
    await db.query(`CREATE INDEX task_completions_user_idx ON task_completions (user_id)`);
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
    await this.counters(db);
  }

  private async counters(db: QueryRunner): Promise<void> {
    await db.query('LOCK TABLE users, task_rows IN SHARE MODE');
    await db.query(`
      CREATE FUNCTION stat_shard(id uuid) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (get_byte(uuid_send(id), 15) % ${SHARDS})::smallint
      $$`);
    await db.query(`
      CREATE TABLE user_task_counts (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        tasks integer NOT NULL DEFAULT 0
      )`);
    await db.query(`
      CREATE TABLE user_stats (
        shard smallint PRIMARY KEY,
        users bigint NOT NULL DEFAULT 0,
        admins bigint NOT NULL DEFAULT 0,
        banned bigint NOT NULL DEFAULT 0
      )`);
    await db.query(`
      CREATE TABLE task_stats (
        shard smallint PRIMARY KEY,
        tasks bigint NOT NULL DEFAULT 0,
        completed bigint NOT NULL DEFAULT 0
      )`);
    await db.query(`
      CREATE TABLE task_due_stats (
        due_hour timestamptz NOT NULL,
        shard smallint NOT NULL,
        pending bigint NOT NULL,
        PRIMARY KEY (due_hour, shard)
      )`);

    // What is there now (in the tasks view: live tasks only).
    await db.query(`
      INSERT INTO user_task_counts (user_id, tasks)
      SELECT u.id, (SELECT count(*) FROM tasks t WHERE t.user_id = u.id) FROM users u`);
    await db.query(`
      INSERT INTO user_stats (shard, users, admins, banned)
      SELECT g, count(u.id), count(u.id) FILTER (WHERE u.role = 'admin'),
             count(u.id) FILTER (WHERE u.banned)
        FROM generate_series(0, ${SHARDS - 1}) g LEFT JOIN users u ON stat_shard(u.id) = g
       GROUP BY g`);
    await db.query(`
      INSERT INTO task_stats (shard, tasks, completed)
      SELECT g, count(t.id), count(t.id) FILTER (WHERE t.completed)
        FROM generate_series(0, ${SHARDS - 1}) g LEFT JOIN tasks t ON stat_shard(t.user_id) = g
       GROUP BY g`);
    await db.query(`
      INSERT INTO task_due_stats (due_hour, shard, pending)
      SELECT date_trunc('hour', due_date, 'UTC'), stat_shard(user_id), count(*) FROM tasks
       WHERE NOT completed AND due_date IS NOT NULL GROUP BY 1, 2`);

    const triggers: [string, string, string][] = [
      ['INSERT', 'NEW TABLE AS new_rows', countTaskRows(live('new_rows', 1))],
      [
        'UPDATE',
        'OLD TABLE AS old_rows NEW TABLE AS new_rows',
        countTaskRows(live('new_rows', 1), live('old_rows', -1)),
      ],
      ['DELETE', 'OLD TABLE AS old_rows', countTaskRows(live('old_rows', -1))],
    ];
    for (const [event, transitions, body] of triggers) {
      const name = `count_task_${event.toLowerCase()}s`;
      await db.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$${body}$$`);
      await db.query(`
        CREATE TRIGGER task_rows_${name} AFTER ${event} ON task_rows
          REFERENCING ${transitions} FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`);
    }
    await db.query(`
      CREATE FUNCTION count_user_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO user_task_counts (user_id) SELECT id FROM new_rows;
        ${countUsers('new_rows', '+')};
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE FUNCTION count_user_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${countUsers('old_rows', '-')};
        RETURN NULL;
      END
      $$`);
    // A role or a ban changes one user at a time (admin changes): a row trigger, fired only then.
    await db.query(`
      CREATE FUNCTION count_user_updates() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE user_stats
           SET admins = admins + (NEW.role = 'admin')::int - (OLD.role = 'admin')::int,
               banned = banned + NEW.banned::int - OLD.banned::int
         WHERE shard = stat_shard(NEW.id);
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER users_count_user_inserts AFTER INSERT ON users
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_user_inserts()`);
    await db.query(`
      CREATE TRIGGER users_count_user_deletes AFTER DELETE ON users
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_user_deletes()`);
    await db.query(`
      CREATE TRIGGER users_count_user_updates AFTER UPDATE OF role, banned ON users FOR EACH ROW
        WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.banned IS DISTINCT FROM NEW.banned)
        EXECUTE FUNCTION count_user_updates()`);
    await db.query(`
      CREATE FUNCTION reset_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'users' THEN
          UPDATE user_stats SET users = 0, admins = 0, banned = 0;
        ELSE
          UPDATE task_stats SET tasks = 0, completed = 0;
          DELETE FROM task_due_stats;
          UPDATE user_task_counts SET tasks = 0 WHERE tasks <> 0;
        END IF;
        RETURN NULL;
      END
      $$`);
    for (const table of ['users', 'task_rows'])
      await db.query(
        `CREATE TRIGGER ${table}_reset_counts AFTER TRUNCATE ON ${table} EXECUTE FUNCTION reset_counts()`,
      );
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['users', 'task_rows'])
      await db.query(`DROP TRIGGER ${table}_reset_counts ON ${table}`);
    for (const event of ['inserts', 'updates', 'deletes']) {
      await db.query(`DROP TRIGGER users_count_user_${event} ON users`);
      await db.query(`DROP TRIGGER task_rows_count_task_${event} ON task_rows`);
      await db.query(`DROP FUNCTION count_user_${event}(), count_task_${event}()`);
    }
    await db.query(`DROP FUNCTION reset_counts()`);
    await db.query(`DROP TABLE task_due_stats, task_stats, user_stats, user_task_counts`);
    await db.query(`DROP FUNCTION stat_shard(uuid)`);
    await db.query(`DROP STATISTICS tasks_due_last_stats`);
    for (const index of [
      'users_name_trgm_idx',
      'users_email_trgm_idx',
      'users_banned_idx',
      'users_admins_idx',
      'task_completions_user_idx',
      'tasks_user_idx',
      'tasks_search_grams_idx',
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
    await db.query(`DROP FUNCTION text_grams(text)`);
    await db.query(`CREATE INDEX users_last_login_at_id_idx ON users (last_login_at, id)`);
    await db.query(
      `CREATE INDEX tasks_user_due_asc_idx ON task_rows (user_id, due_date ASC NULLS LAST, id ASC) ${LIVE}`,
    );
    await db.query(
      `CREATE INDEX tasks_user_due_desc_idx ON task_rows (user_id, due_date DESC NULLS LAST, id DESC) ${LIVE}`,
    );
  }
}
