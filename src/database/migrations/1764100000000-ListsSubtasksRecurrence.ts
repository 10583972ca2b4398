import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: lists, subtasks, manual order and recurring tasks.
 *
 * - `lists`: every user has exactly one default list (`Inbox`), made by a trigger in the
 *   transaction that creates the user; existing users get theirs here, holding all their tasks.
 *   Names are unique per user ignoring case.
 * - `tasks.list_id` references `lists (id, user_id)`: a task can only ever sit in a list of its
 *   own owner, whatever the application does. Deleting a list deletes its tasks in the same
 *   statement (ON DELETE CASCADE).
 * - `tasks.parent_id` references `tasks (id, user_id, list_id)`: a subtask has its parent's owner
 *   and list; ON UPDATE CASCADE moves the subtasks when the parent changes list, ON DELETE
 *   CASCADE deletes them with it. The one-level rule is the service's (no constraint can say it).
 * - `position`: fractional-indexing keys compared byte-wise (COLLATE "C"), unique among siblings
 *   (same list, same parent) so that the manual order is strict. Existing tasks get integer keys
 *   `e` + five base-62 digits in creation order, valid keys of the library's alphabet.
 * - `recurrence` (an RRULE), `timezone` (IANA) and `recurrence_start` (the rule's DTSTART, which
 *   COUNT counts from, kept while due_date advances) and `task_completions`.
 */
export class ListsSubtasksRecurrence1764100000000 implements MigrationInterface {
  name = 'ListsSubtasksRecurrence1764100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE lists (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        color char(7) CHECK (color ~ '^#[0-9a-f]{6}$'),
        position text COLLATE "C" NOT NULL,
        is_default boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (id, user_id),
        UNIQUE (user_id, position)
      )`);
    await db.query(`CREATE UNIQUE INDEX lists_user_name_idx ON lists (user_id, lower(name))`);
    await db.query(`CREATE UNIQUE INDEX lists_one_default_idx ON lists (user_id) WHERE is_default`);
    await db.query(`
      INSERT INTO lists (user_id, name, position, is_default)
      SELECT id, 'Inbox', 'a0', true FROM users`);
    // Every account, however it is made (sign-up, the bootstrap admin, an external issuer's first
    // token, the seed, a bulk load), has its Inbox from the statement that creates it.
    await db.query(`
      CREATE FUNCTION users_create_default_list() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO lists (user_id, name, position, is_default) VALUES (NEW.id, 'Inbox', 'a0', true);
        RETURN NEW;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER users_default_list AFTER INSERT ON users
        FOR EACH ROW EXECUTE FUNCTION users_create_default_list()`);

    await db.query(`
      ALTER TABLE tasks
        ADD COLUMN list_id uuid,
        ADD COLUMN parent_id uuid,
        ADD COLUMN position text COLLATE "C",
        ADD COLUMN recurrence varchar(500),
        ADD COLUMN recurrence_start timestamptz,
        ADD COLUMN timezone varchar(64) NOT NULL DEFAULT 'UTC'`);
    await db.query(`
      WITH ranked AS (
        SELECT t.id, l.id AS list_id,
               row_number() OVER (PARTITION BY t.user_id ORDER BY t.created_at, t.id) - 1 AS n
          FROM tasks t JOIN lists l ON l.user_id = t.user_id AND l.is_default)
      UPDATE tasks t SET list_id = r.list_id, position = 'e' || ${base62Digits('r.n', 5)}
        FROM ranked r WHERE r.id = t.id`);
    await db.query(`
      ALTER TABLE tasks
        ALTER COLUMN list_id SET NOT NULL,
        ALTER COLUMN position SET NOT NULL,
        ADD CONSTRAINT tasks_id_user_list_key UNIQUE (id, user_id, list_id),
        ADD CONSTRAINT tasks_list_fk FOREIGN KEY (list_id, user_id)
          REFERENCES lists (id, user_id) ON DELETE CASCADE,
        ADD CONSTRAINT tasks_parent_fk FOREIGN KEY (parent_id, user_id, list_id)
          REFERENCES tasks (id, user_id, list_id) ON DELETE CASCADE ON UPDATE CASCADE,
        ADD CONSTRAINT tasks_not_own_parent CHECK (parent_id <> id),
        ADD CONSTRAINT tasks_recurrence_needs_due CHECK (recurrence IS NULL OR due_date IS NOT NULL)`);
    await db.query(`
      CREATE UNIQUE INDEX tasks_sibling_position_idx
        ON tasks (list_id, parent_id, position) NULLS NOT DISTINCT`);
    await db.query(`CREATE INDEX tasks_user_position_idx ON tasks (user_id, position, id)`);
    await db.query(
      `CREATE INDEX tasks_parent_idx ON tasks (parent_id) WHERE parent_id IS NOT NULL`,
    );
    await db.query(`CREATE INDEX tasks_list_created_idx ON tasks (list_id, created_at, id)`);

    await db.query(`
      CREATE TABLE task_completions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        due_date timestamptz NOT NULL,
        completed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX task_completions_task_idx ON task_completions (task_id, completed_at, id)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE task_completions`);
    await db.query(`
      ALTER TABLE tasks
        DROP CONSTRAINT tasks_parent_fk,
        DROP CONSTRAINT tasks_list_fk,
        DROP CONSTRAINT tasks_id_user_list_key,
        DROP COLUMN list_id, DROP COLUMN parent_id, DROP COLUMN position,
        DROP COLUMN recurrence, DROP COLUMN recurrence_start, DROP COLUMN timezone`);
    await db.query(`DROP TRIGGER users_default_list ON users`);
    await db.query(`DROP FUNCTION users_create_default_list()`);
    await db.query(`DROP TABLE lists`);
  }
}

/** SQL for `width` base-62 digits (0-9A-Za-z, fractional-indexing's alphabet) of the integer `n`. */
function base62Digits(n: string, width: number): string {
  const alphabet = `'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'`;
  const digits = [];
  for (let place = width - 1; place >= 0; place--) {
    digits.push(`substr(${alphabet}, ((${n} / ${62 ** place}) % 62)::int + 1, 1)`);
  }
  return digits.join(' || ');
}
