import { generateNKeysBetween } from 'fractional-indexing';
import type { TestApp } from './test-app';

/** Rows of `table` matching `where` (SQL, with `params`): test set-up and checks, not the API. */
export async function countRows(
  t: Pick<TestApp, 'sql'>,
  table: string,
  where = 'TRUE',
  params: unknown[] = [],
): Promise<number> {
  const [{ n }] = await t.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    params,
  );
  return n;
}

/** How many tasks the user owns, as stored. */
export const taskCount = (t: TestApp, userId: string) =>
  countRows(t, 'tasks', 'user_id = $1', [userId]);

/** How many entries the audit log holds. */
export const auditCount = (t: TestApp) => countRows(t, 'audit_log');

/** The columns of a task row that `insertTasks` may set; anything left out takes its default. */
export interface TaskRow {
  title?: string;
  description?: string | null;
  completed?: boolean;
  priority?: 'low' | 'medium' | 'high';
  due_date?: string | Date | null;
  tags?: string[];
  created_at?: string | Date;
}

/**
 * Inserts `n` tasks for the user straight into the table, in one statement (so they share
 * now(): identical created_at and updated_at unless given). `fields(i)` gives row i's columns,
 * i from 1 to n; every row must name the same columns. The title is `task i` unless given.
 * Returns the ids in row order.
 */
export async function insertTasks(
  t: TestApp,
  userId: string,
  n: number,
  fields: TaskRow | ((i: number) => TaskRow) = {},
): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, index) => ({
    title: `task ${index + 1}`,
    ...(typeof fields === 'function' ? fields(index + 1) : fields),
  }));
  const columns = Object.keys(rows[0]) as (keyof TaskRow)[];
  // Top-level in the user's default list, after its last task, as the API would put them.
  const [inbox] = await t.sql<{ id: string; last: string | null }>(
    `SELECT l.id, (SELECT max(position) FROM tasks WHERE list_id = l.id AND parent_id IS NULL) AS last
       FROM lists l WHERE l.user_id = $1 AND l.is_default`,
    [userId],
  );
  const positions = generateNKeysBetween(inbox.last, null, n);
  const params: unknown[] = [userId, inbox.id];
  const values = rows.map((row, index) => {
    if (Object.keys(row).length !== columns.length) throw new Error('insertTasks: rows differ');
    const cells = columns.map((column) => `$${params.push(row[column])}`);
    return `($1, $2, $${params.push(positions[index])}, ${cells.join(', ')})`;
  });
  const inserted = await t.sql<{ id: string }>(
    `INSERT INTO tasks (user_id, list_id, position, ${columns.join(', ')})
     VALUES ${values.join(', ')} RETURNING id`,
    params,
  );
  return inserted.map((row) => row.id);
}

/** The user's logins (sessions), as stored. */
export const sessionsOf = (t: TestApp, userId: string) =>
  t.sql<{ id: string; revoked_at: Date | null }>(
    'SELECT id, revoked_at FROM sessions WHERE user_id = $1',
    [userId],
  );

/** How many refresh tokens were ever issued to the user's logins. */
export const refreshTokenCount = (t: TestApp, userId: string) =>
  countRows(t, 'refresh_tokens r JOIN sessions s ON s.id = r.session_id', 's.user_id = $1', [
    userId,
  ]);

/**
 * The tables of the public schema holding a row whose `id` is `id`: where a task (or list) is
 * stored, whatever the design (a `deleted_at` column or a table of its own for the trash). `[]`
 * means it is gone for good. References to it (a change log's tombstone, an audit entry) are not
 * rows *of* it and are not counted.
 */
export async function tablesHoldingId(t: Pick<TestApp, 'sql'>, id: string): Promise<string[]> {
  const tables = await t.sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'id' AND data_type = 'uuid'
      ORDER BY table_name`,
  );
  const holding: string[] = [];
  for (const { table_name: table } of tables) {
    if ((await countRows(t, `"${table}"`, 'id = $1', [id])) > 0) holding.push(table);
  }
  return holding;
}
