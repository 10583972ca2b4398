// Builds the benchmark dataset with set-based SQL (generate_series), never through HTTP, so a
// million tasks take seconds. Every account shares one real argon2id hash (hashed once).
// Tasks live in the table task_rows; `tasks` is the view of the live ones (migration
// 1764200000000), which the inserts go through and VACUUM/ANALYZE cannot name (a view).
import { hash } from '@node-rs/argon2';

export const PASSWORD = 'bench-password-1';
export const SCALE_USER = 'bench-scale@bench.local';
export const WRITER_USER = 'bench-writer@bench.local';
export const ADMIN_USER = 'bench-admin@bench.local';
/** The change feed's user (changes-idle, changes-500): its own FEED_USER_TASKS tasks. */
export const FEED_USER = 'bench-feed@bench.local';
export const FEED_USER_TASKS = 100_000;
export const loginEmail = (i) => `bench-login-${i}@bench.local`;
/** The scale user owns this many of the table's tasks (all of them when the table is smaller). */
export const SCALE_USER_TASKS = 10_000;
const FILLER_TASKS_PER_USER = 100;

// The app's own parameters (src/auth/password-hasher.ts), so login costs what it costs in production.
const ARGON2ID = 2;
const HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Users: the scale user, a writer (create/toggle), an admin, the feed's user, login users and
 * task-less fillers.
 */
export async function createUsers(db, { loginUsers, fillerUsers }) {
  const passwordHash = await hash(PASSWORD, HASH_OPTIONS);
  await db.query(
    `INSERT INTO users (email, password_hash, name, role)
     VALUES ($2, $1, 'Scale', 'user'), ($3, $1, 'Writer', 'user'), ($4, $1, 'Admin', 'admin'),
            ($5, $1, 'Feed', 'user')`,
    [passwordHash, SCALE_USER, WRITER_USER, ADMIN_USER, FEED_USER],
  );
  await db.query(
    `INSERT INTO users (email, password_hash, name, created_at)
     SELECT 'bench-login-' || i || '@bench.local', $1, 'Login ' || i, now() - i * interval '1 second'
       FROM generate_series(1, $2::int) i`,
    [passwordHash, loginUsers],
  );
  await db.query(
    `INSERT INTO users (email, password_hash, name, created_at, last_login_at)
     SELECT 'bench-filler-' || i || '@bench.local', $1, 'Filler ' || i,
            now() - i * interval '1 minute', CASE WHEN i % 3 = 0 THEN now() - i * interval '1 hour' END
       FROM generate_series(1, $2::int) i`,
    [passwordHash, fillerUsers],
  );
}

/** How many filler users a table of `totalTasks` needs. */
export const fillerUsersFor = (totalTasks) =>
  Math.max(10, Math.ceil(Math.max(0, totalTasks - SCALE_USER_TASKS) / FILLER_TASKS_PER_USER));

// Varied rows: a third completed, every priority, some tags, most with a due date.
const TASK_COLUMNS = `user_id, list_id, position, title, description, completed, completed_at, priority, due_date, tags, created_at, updated_at`;
// Each owner's Inbox, positions 'e' + five base-62 digits of i: distinct, valid fractional keys.
const BASE62 = `'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'`;
const position = [4, 3, 2, 1, 0]
  .map((place) => `substr(${BASE62}, ((i / ${62 ** place}) % 62)::int + 1, 1)`)
  .join(' || ');
const taskValues = (owner) => `${owner},
  (SELECT id FROM lists WHERE user_id = ${owner} AND is_default), 'e' || ${position},
  'Task ' || i || ' ' || md5(i::text),
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'Description of task ' || i || ': ' || repeat('lorem ipsum ', 1 + i % 8) END,
  i % 3 = 0, CASE WHEN i % 3 = 0 THEN now() - i * interval '1 second' END,
  (ARRAY['low','medium','high'])[1 + i % 3],
  CASE WHEN i % 5 = 0 THEN NULL ELSE now() + (i % 400 - 200) * interval '1 day' END,
  CASE i % 4 WHEN 0 THEN '{}'::text[] WHEN 1 THEN '{work}' WHEN 2 THEN '{home,errand}' ELSE '{work,urgent}' END,
  now() - i * interval '1 second', now() - i * interval '1 second'`;

/**
 * INSERT INTO tasks (TASK_COLUMNS) `select`, set-based, with the change-log trigger
 * (task_rows_record_change, migration 1764200000000) off for this one transaction: these tasks
 * are a long-lived account's, whose creation the retention purge has long forgotten, so they
 * have no rows in `changes` (the feed's snapshot reads the tasks themselves). Row by row the
 * trigger costs two function calls and counter updates per task, and the owner's counter row
 * gets a new version per task in one transaction, which grows worse than linearly (one user's
 * 4000 / 8000 new tasks in one statement: 3.2 s / 7.8 s): it made the growth to 100k rows take
 * 83 s, and writing the same rows set-based still doubled it. Every write during the
 * measurements goes through the trigger.
 */
async function insertTasks(db, select, parameters) {
  await db.query('BEGIN');
  try {
    await db.query('ALTER TABLE task_rows DISABLE TRIGGER task_rows_record_change');
    await db.query(`INSERT INTO tasks (${TASK_COLUMNS}) ${select}`, parameters);
    await db.query('ALTER TABLE task_rows ENABLE TRIGGER task_rows_record_change');
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

/** After a bulk load: vacuumed and analyzed (as autovacuum would), and flushed. */
async function settle(db) {
  // A production table is vacuumed and analyzed by autovacuum; do it now rather than measure the lag.
  for (const table of ['task_rows', 'changes', 'change_counters', 'users'])
    await db.query(`VACUUM ANALYZE ${table}`);
  // Flush the bulk load now: otherwise the checkpoint it triggers writes hundreds of MB during the
  // first measurements at this size (GET one at 1M read 64% of baseline in that state, 70-74% at
  // the other sizes).
  await db.query('CHECKPOINT');
}

/**
 * Grows the tasks table to `totalTasks`: first the scale user's share (up to `scaleUserTasks`),
 * the rest spread over the filler users. Returns the new total. `bulk` (the scale mode's millions
 * of rows): the inserts run with the table's secondary indexes dropped and rebuilt after, as the
 * migrations made them (withoutSecondaryIndexes), and about 1 in 128 of them go to the trash.
 */
export async function growTasks(
  db,
  currentTotal,
  totalTasks,
  { scaleUserTasks = SCALE_USER_TASKS, bulk = false } = {},
) {
  const load = async () => {
    await insertGrowth(db, currentTotal, totalTasks, scaleUserTasks);
    if (bulk) await trashSome(db);
  };
  await (bulk ? withoutSecondaryIndexes(db, 'task_rows', load) : load());
  await settle(db);
  return totalTasks;
}

async function insertGrowth(db, currentTotal, totalTasks, scaleUserTasks) {
  // task_rows: trashed rows keep their positions, which a new task must not take.
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM task_rows WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
    [SCALE_USER],
  );
  const scaleHave = rows[0].n;
  const scaleAdd = Math.max(0, Math.min(totalTasks, scaleUserTasks) - scaleHave);
  if (scaleAdd > 0) {
    await insertTasks(
      db,
      `SELECT ${taskValues('(SELECT id FROM users WHERE email = $1)')}
         FROM generate_series($2::int + 1, $2::int + $3::int) i`,
      [SCALE_USER, scaleHave, scaleAdd],
    );
  }
  const fillerAdd = totalTasks - currentTotal - scaleAdd;
  if (fillerAdd > 0) {
    await insertTasks(
      db,
      `SELECT ${taskValues('fillers.ids[1 + i % cardinality(fillers.ids)]')}
         FROM (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE email LIKE 'bench-filler-%') fillers,
              generate_series($1::int + 1, $1::int + $2::int) i`,
      [currentTotal, fillerAdd],
    );
  }
}

/**
 * Runs `load` with every index of `table` that backs no constraint dropped, then creates them
 * again from their own definitions (pg_indexes): the same schema, built by sorting rather than
 * row by row. Inserting 1.8M tasks into the table with its 20-odd indexes (three of them GIN
 * trigram indexes) took 6 minutes; building them afterwards takes about one.
 */
export async function withoutSecondaryIndexes(db, table, load) {
  const { rows } = await db.query(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [table],
  );
  for (const { indexname } of rows) await db.query(`DROP INDEX ${indexname}`);
  try {
    await load();
  } finally {
    await db.query(`SET maintenance_work_mem = '512MB'`);
    for (const { indexdef } of rows) await db.query(indexdef);
    await db.query('RESET maintenance_work_mem');
  }
}

/**
 * The scale mode's filler users `from` to `to` (no tasks yet): one in 2000 an admin, one in 500
 * banned, a third logged in. They share the password hash of the users already there.
 */
export async function addFillerUsers(db, from, to) {
  await db.query(
    `INSERT INTO users (email, password_hash, name, role, banned, created_at, last_login_at)
     SELECT 'bench-filler-' || i || '@bench.local', (SELECT password_hash FROM users LIMIT 1),
            'Filler ' || i, CASE WHEN i % 2000 = 0 THEN 'admin' ELSE 'user' END, i % 500 = 0,
            now() - i * interval '1 minute',
            CASE WHEN i % 3 = 0 THEN now() - i * interval '1 hour' END
       FROM generate_series($1::int, $2::int) i`,
    [from, to],
  );
}

/**
 * About 1 in 128 live top-level tasks (chosen by id, so a second call adds only new rows) to the
 * trash, with the change-log trigger off as for the inserts: no count may include them.
 */
export async function trashSome(db) {
  await db.query('BEGIN');
  try {
    await db.query('ALTER TABLE task_rows DISABLE TRIGGER task_rows_record_change');
    await db.query(
      `UPDATE task_rows SET deleted_at = now() - interval '1 day', trashed_with = id
        WHERE deleted_at IS NULL AND parent_id IS NULL AND md5(id::text) < '02'`,
    );
    await db.query('ALTER TABLE task_rows ENABLE TRIGGER task_rows_record_change');
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

/** The writer's own tasks, toggled by the toggle scenario. */
export async function createWriterTasks(db, count) {
  await insertTasks(
    db,
    `SELECT ${taskValues('(SELECT id FROM users WHERE email = $1)')} FROM generate_series(1, $2::int) i`,
    [WRITER_USER, count],
  );
  await db.query('ANALYZE task_rows');
}

/** The feed user's tasks (long-standing ones: not in its change log, like every bulk load's). */
export async function createFeedTasks(db, count) {
  await insertTasks(
    db,
    `SELECT ${taskValues('(SELECT id FROM users WHERE email = $1)')} FROM generate_series(1, $2::int) i`,
    [FEED_USER, count],
  );
  await settle(db);
}

/**
 * One edit (a new title) of each of `count` of the feed user's tasks, through the API's trigger:
 * `count` task changes in its log.
 */
export async function editFeedTasks(db, count) {
  return db.query(
    `UPDATE tasks SET title = title || ' (edited)', version = version + 1, updated_at = now()
      WHERE id IN (SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id
                    WHERE u.email = $1 ORDER BY md5(t.id::text) LIMIT $2)`,
    [FEED_USER, count],
  );
}

/** A sample of a user's task ids, for requests that each pick one at random. */
export async function sampleTaskIds(db, email, count) {
  const { rows } = await db.query(
    `SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id
      WHERE u.email = $1 ORDER BY md5(t.id::text) LIMIT $2`,
    [email, count],
  );
  return rows.map((row) => row.id);
}
