import { DataSource } from 'typeorm';
import { createApp } from '../src/app.setup';
import { createTask, registerUser } from './support/builders';
import { type TestApp, useTestApp } from './support/test-app';

/** The SQLSTATE (and constraint) a statement fails with; fails the test when it succeeds. */
async function sqlError(
  t: TestApp,
  query: string,
  params: unknown[] = [],
): Promise<{ code: string; constraint?: string }> {
  try {
    await t.sql(query, params);
  } catch (error) {
    const driverError = (error as { driverError?: { code: string; constraint?: string } })
      .driverError;
    return { code: driverError!.code, constraint: driverError!.constraint };
  }
  throw new Error(`the database accepted: ${query}`);
}

const FOREIGN_KEY_VIOLATION = '23503';
const NOT_NULL_VIOLATION = '23502';
const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';
const STRING_TOO_LONG = '22001';

describe('Database: what the schema guarantees by itself', () => {
  const t = useTestApp();
  let userId: string;
  let inboxId: string;
  beforeAll(async () => {
    userId = (await registerUser(t)).id;
    [{ id: inboxId }] = await t.sql<{ id: string }>(
      'SELECT id FROM lists WHERE user_id = $1 AND is_default',
      [userId],
    );
  });
  /** A position no other test row has (the order itself is not under test here). */
  let positions = 0;
  const nextPosition = () => `b${String(++positions).padStart(2, '0')}`;

  const insertTask = (fields: Record<string, unknown>) => {
    const row: Record<string, unknown> = {
      user_id: userId,
      list_id: inboxId,
      position: nextPosition(),
      title: 'Valid',
      ...fields,
    };
    const columns = Object.keys(row);
    return sqlError(
      t,
      `INSERT INTO tasks (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
  };

  describe('tasks', () => {
    it('a valid row is accepted (so the refusals below are for their own reason)', async () => {
      const [row] = await t.sql(
        `INSERT INTO tasks (user_id, list_id, position, title, description, tags)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [
          userId,
          inboxId,
          nextPosition(),
          '😀'.repeat(200),
          'd'.repeat(1000),
          Array.from({ length: 20 }, (_, i) => `t${i}`),
        ],
      );
      expect(row).toMatchObject({
        user_id: userId,
        completed: false,
        completed_at: null,
        priority: 'medium',
        version: 1,
      });
    });

    it('cannot belong to a user that does not exist (foreign key)', async () => {
      expect(await insertTask({ user_id: '00000000-0000-4000-8000-000000000000' })).toEqual({
        code: FOREIGN_KEY_VIOLATION,
        constraint: expect.any(String),
      });
    });

    it('cannot have no user', async () => {
      expect((await insertTask({ user_id: null })).code).toBe(NOT_NULL_VIOLATION);
    });

    it.each([
      ['an empty title', { title: '' }, CHECK_VIOLATION],
      ['a blank title', { title: '   ' }, CHECK_VIOLATION],
      ['a null title', { title: null }, NOT_NULL_VIOLATION],
      ['a title of 201 characters', { title: 't'.repeat(201) }, STRING_TOO_LONG],
      ['a description of 1001 characters', { description: 'd'.repeat(1001) }, CHECK_VIOLATION],
      ['an unknown priority', { priority: 'urgent' }, CHECK_VIOLATION],
      ['a null priority', { priority: null }, NOT_NULL_VIOLATION],
      ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, CHECK_VIOLATION],
      ['completed without completed_at', { completed: true }, CHECK_VIOLATION],
      ['completed_at on a pending task', { completed_at: new Date() }, CHECK_VIOLATION],
      ['a recurrence without a due date', { recurrence: 'FREQ=DAILY' }, CHECK_VIOLATION],
      // A live task needs a list (a trashed one may have lost it: tasks_live_in_a_list).
      ['no list', { list_id: null }, CHECK_VIOLATION],
      ['no position', { position: null }, NOT_NULL_VIOLATION],
    ])('refuses %s', async (_, fields, code) => {
      expect((await insertTask(fields)).code).toBe(code);
    });

    it('cannot sit in another user’s list, whatever the application does', async () => {
      const other = await registerUser(t);
      const [{ id: othersInbox }] = await t.sql<{ id: string }>(
        'SELECT id FROM lists WHERE user_id = $1 AND is_default',
        [other.id],
      );
      expect(await insertTask({ list_id: othersInbox })).toEqual({
        code: FOREIGN_KEY_VIOLATION,
        constraint: 'tasks_list_fk',
      });
    });

    it('a subtask has its parent’s owner and list; siblings never share a position', async () => {
      const [parent] = await t.sql<{ id: string }>(
        `INSERT INTO tasks (user_id, list_id, position, title) VALUES ($1, $2, $3, 'Parent')
         RETURNING id`,
        [userId, inboxId, nextPosition()],
      );
      const [{ id: otherList }] = await t.sql<{ id: string }>(
        `INSERT INTO lists (user_id, name, position) VALUES ($1, 'Other', 'b0') RETURNING id`,
        [userId],
      );
      expect(await insertTask({ parent_id: parent.id, list_id: otherList })).toEqual({
        code: FOREIGN_KEY_VIOLATION,
        constraint: 'tasks_parent_fk',
      });
      const position = nextPosition();
      await t.sql(
        `INSERT INTO tasks (user_id, list_id, parent_id, position, title) VALUES ($1, $2, $3, $4, 'A')`,
        [userId, inboxId, parent.id, position],
      );
      expect(await insertTask({ parent_id: parent.id, position })).toEqual({
        code: UNIQUE_VIOLATION,
        constraint: 'tasks_sibling_position_idx',
      });
    });
  });

  it('deleting a user deletes its tasks, its sessions and its refresh tokens', async () => {
    const user = await registerUser(t);
    await createTask(t, user);
    await createTask(t, user, { completed: true });
    await t.http().post('/api/auth/login').send({ email: user.email, password: user.password });
    const sessions = await t.sql<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [
      user.id,
    ]);
    const sessionIds = sessions.map((session) => session.id);
    const counts = async () =>
      (
        await t.sql<{ tasks: number; sessions: number; tokens: number }>(
          `SELECT (SELECT count(*)::int FROM tasks WHERE user_id = $1) AS tasks,
                  (SELECT count(*)::int FROM sessions WHERE user_id = $1) AS sessions,
                  (SELECT count(*)::int FROM refresh_tokens WHERE session_id = ANY($2::uuid[])) AS tokens`,
          [user.id, sessionIds],
        )
      )[0];
    expect(await counts()).toEqual({ tasks: 2, sessions: 2, tokens: 2 });
    const othersBefore = await t.sql('SELECT count(*)::int AS n FROM tasks WHERE user_id <> $1', [
      user.id,
    ]);

    await t.sql('DELETE FROM users WHERE id = $1', [user.id]);

    expect(await counts()).toEqual({ tasks: 0, sessions: 0, tokens: 0 });
    expect(
      await t.sql('SELECT count(*)::int AS n FROM tasks WHERE user_id <> $1', [user.id]),
    ).toEqual(othersBefore);
  });

  describe('users', () => {
    const insertUser = (email: string) =>
      sqlError(t, `INSERT INTO users (email, password_hash) VALUES ($1, 'x')`, [email]);

    it('an email is unique, whatever its case', async () => {
      await t.sql(`INSERT INTO users (email, password_hash) VALUES ('dup@example.com', 'x')`);
      expect(await insertUser('dup@example.com')).toEqual({
        code: UNIQUE_VIOLATION,
        constraint: 'users_email_lower_key',
      });
      // Stored emails are lower-case and trimmed, so another case cannot slip past the index.
      expect((await insertUser('Dup@Example.com')).code).toBe(CHECK_VIOLATION);
      expect((await insertUser(' dup@example.com')).code).toBe(CHECK_VIOLATION);
    });

    it('the index itself compares emails case-insensitively', async () => {
      const [index] = await t.sql<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_lower_key'`,
      );
      expect(index.indexdef).toMatch(/UNIQUE INDEX .* \(lower\(email\)\)/);
    });

    it('a role is user or admin', async () => {
      expect(
        (
          await sqlError(
            t,
            `INSERT INTO users (email, password_hash, role) VALUES ('root@example.com', 'x', 'root')`,
          )
        ).code,
      ).toBe(CHECK_VIOLATION);
    });
  });

  describe('migrations, not synchronize', () => {
    it('the migrations table records the Init migration', async () => {
      const rows = await t.sql<{ name: string; timestamp: string }>(
        'SELECT name, timestamp FROM migrations ORDER BY timestamp',
      );
      expect(rows[0]).toEqual({ name: 'Init1763900000000', timestamp: '1763900000000' });
    });

    it('synchronize is off', async () => {
      const dataSource = t.app.get(DataSource);
      expect(dataSource.options.synchronize).toBe(false);
    });

    it('starting the app again keeps a column no entity knows (nothing syncs the schema)', async () => {
      // task_rows: the table behind the view of live tasks (migration 1764200000000).
      await t.sql('ALTER TABLE task_rows ADD COLUMN not_in_any_entity text');
      const again = await createApp(t.config, t.databaseUrl, { logger: false });
      await again.close();
      const columns = await t.sql(
        `SELECT column_name FROM information_schema.columns
          WHERE table_name = 'task_rows' AND column_name = 'not_in_any_entity'`,
      );
      expect(columns).toHaveLength(1);
      const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
      expect(n).toBeGreaterThanOrEqual(1);
    });
  });
});
