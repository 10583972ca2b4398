// Builds the benchmark dataset with set-based SQL (generate_series), never through HTTP, so a
// million tasks take seconds. Every account shares one real argon2id hash (hashed once).
import { hash } from '@node-rs/argon2';

export const PASSWORD = 'bench-password-1';
export const SCALE_USER = 'bench-scale@bench.local';
export const WRITER_USER = 'bench-writer@bench.local';
export const ADMIN_USER = 'bench-admin@bench.local';
export const loginEmail = (i) => `bench-login-${i}@bench.local`;
/** The scale user owns this many of the table's tasks (all of them when the table is smaller). */
export const SCALE_USER_TASKS = 10_000;
const FILLER_TASKS_PER_USER = 100;

// The app's own parameters (src/auth/password-hasher.ts), so login costs what it costs in production.
const ARGON2ID = 2;
const HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Users: the scale user, a writer (create/toggle), an admin, login users and task-less fillers. */
export async function createUsers(db, { loginUsers, fillerUsers }) {
  const passwordHash = await hash(PASSWORD, HASH_OPTIONS);
  await db.query(
    `INSERT INTO users (email, password_hash, name, role)
     VALUES ($2, $1, 'Scale', 'user'), ($3, $1, 'Writer', 'user'), ($4, $1, 'Admin', 'admin')`,
    [passwordHash, SCALE_USER, WRITER_USER, ADMIN_USER],
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
 * Grows the tasks table to `totalTasks`: first the scale user's share (up to SCALE_USER_TASKS),
 * the rest spread over the filler users. Returns the new total.
 */
export async function growTasks(db, currentTotal, totalTasks) {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM tasks WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
    [SCALE_USER],
  );
  const scaleHave = rows[0].n;
  const scaleAdd = Math.max(0, Math.min(totalTasks, SCALE_USER_TASKS) - scaleHave);
  if (scaleAdd > 0) {
    await db.query(
      `INSERT INTO tasks (${TASK_COLUMNS})
       SELECT ${taskValues('(SELECT id FROM users WHERE email = $1)')}
         FROM generate_series($2::int + 1, $2::int + $3::int) i`,
      [SCALE_USER, scaleHave, scaleAdd],
    );
  }
  const fillerAdd = totalTasks - currentTotal - scaleAdd;
  if (fillerAdd > 0) {
    await db.query(
      `WITH fillers AS (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE email LIKE 'bench-filler-%')
       INSERT INTO tasks (${TASK_COLUMNS})
       SELECT ${taskValues('fillers.ids[1 + i % cardinality(fillers.ids)]')}
         FROM fillers, generate_series($1::int + 1, $1::int + $2::int) i`,
      [currentTotal, fillerAdd],
    );
  }
  // A production table is vacuumed and analyzed by autovacuum; do it now rather than measure the lag.
  await db.query('VACUUM ANALYZE tasks');
  await db.query('VACUUM ANALYZE users');
  // Flush the bulk load now: otherwise the checkpoint it triggers writes hundreds of MB during the
  // first measurements at this size (GET one at 1M read 64% of baseline in that state, 70-74% at
  // the other sizes).
  await db.query('CHECKPOINT');
  return totalTasks;
}

/** The writer's own tasks, toggled by the toggle scenario. */
export async function createWriterTasks(db, count) {
  await db.query(
    `INSERT INTO tasks (${TASK_COLUMNS})
     SELECT ${taskValues('(SELECT id FROM users WHERE email = $1)')} FROM generate_series(1, $2::int) i`,
    [WRITER_USER, count],
  );
  await db.query('ANALYZE tasks');
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
