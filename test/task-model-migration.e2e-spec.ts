import { DataSource } from 'typeorm';
import { PasswordHasher } from '../src/auth/password-hasher';
import { dataSourceOptions, MIGRATIONS } from '../src/database/data-source-options';
import { runMigrations } from '../src/database/migrate';
import { TASK_FIELDS } from './support/builders';
import { allPages, ids } from './support/paging';
import { byteOrder, expectStrictlyIncreasing } from './support/task-model';
import { createTestDatabase, startTestApp, type TestApp } from './support/test-app';

const TASK_MODEL_MIGRATION = 'ListsSubtasksRecurrence1764100000000';
const PASSWORD = 'password-123';
const BASE = Date.parse('2025-01-01T00:00:00.000Z');

/** The columns tasks had before the migration: it must leave every one of them as it was. */
const OLD_COLUMNS =
  'id, user_id, title, description, completed, completed_at, priority, due_date, tags, version, created_at, updated_at';

/** Runs `migrations` on the database at `url` and returns the names applied. */
async function migrate(url: string, migrations = MIGRATIONS): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions({ url, poolMax: 2 }), migrations });
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * ListsSubtasksRecurrence on a database that already holds users and tasks, inserted in the old
 * schema (no lists, no list_id): everyone gets an Inbox holding their tasks in creation order,
 * and the app serves them.
 */
describe('Migration: tasks from before lists', () => {
  let t: TestApp;
  let sql: TestApp['sql'];
  /** Ann's 70 tasks: created in a shuffled order (so insertion order is not creation order). */
  const ANN_TASKS = 70;
  const users = {
    ann: 'ann@example.com',
    ben: 'ben@example.com',
    cid: 'cid@example.com', // no tasks at all
  };
  let userIds: Record<keyof typeof users, string>;
  let oldRows: Record<string, unknown>[];

  beforeAll(async () => {
    const database = await createTestDatabase();
    const upTo = MIGRATIONS.findIndex((migration) => migration.name === TASK_MODEL_MIGRATION);
    const before = await migrate(database.url, MIGRATIONS.slice(0, upTo));
    expect(before).not.toContain(TASK_MODEL_MIGRATION);
    expect(before).toHaveLength(upTo);

    const old = new DataSource(dataSourceOptions({ url: database.url, poolMax: 2 }));
    await old.initialize();
    try {
      const [{ exists }] = await old.query(`SELECT to_regclass('lists') IS NOT NULL AS exists`);
      expect(exists).toBe(false);
      const hash = await new PasswordHasher().hash(PASSWORD);
      const inserted: { id: string; email: string }[] = await old.query(
        `INSERT INTO users (email, password_hash) SELECT unnest($1::text[]), $2 RETURNING id, email`,
        [Object.values(users), hash],
      );
      const idOf = (email: string) => inserted.find((row) => row.email === email)!.id;
      userIds = { ann: idOf(users.ann), ben: idOf(users.ben), cid: idOf(users.cid) };
      // Ann's task i (1..70) was created at minute (i * 37) mod 71: a permutation of 1..70.
      // Ben's three tasks sit between hers in time, in reverse insertion order.
      await old.query(
        `INSERT INTO tasks (user_id, title, created_at, updated_at)
         SELECT $1, 'ann ' || lpad(((i * 37) % 71)::text, 2, '0'),
                $2::timestamptz + ((i * 37) % 71) * interval '1 minute',
                $2::timestamptz + ((i * 37) % 71) * interval '1 minute' + interval '1 day'
           FROM generate_series(1, $3::int) AS i`,
        [userIds.ann, new Date(BASE).toISOString(), ANN_TASKS],
      );
      await old.query(
        `INSERT INTO tasks (user_id, title, description, completed, completed_at, priority,
                            due_date, tags, version, created_at, updated_at)
         VALUES ($1, 'ben 3', 'third', true, $2::timestamptz + interval '2 hours', 'high',
                 '2026-12-01T07:00:00Z', '{work,q4}', 4,
                 $2::timestamptz + interval '50 minutes', $2::timestamptz + interval '2 hours'),
                ($1, 'ben 2', null, false, null, 'low', null, '{}', 1,
                 $2::timestamptz + interval '20 minutes', $2::timestamptz + interval '20 minutes'),
                ($1, 'ben 1', null, false, null, 'medium', null, '{}', 2,
                 $2::timestamptz + interval '10 minutes', $2::timestamptz + interval '30 minutes')`,
        [userIds.ben, new Date(BASE).toISOString()],
      );
      oldRows = await old.query(`SELECT ${OLD_COLUMNS} FROM tasks ORDER BY id`);
    } finally {
      await old.destroy();
    }

    expect(await migrate(database.url)).toEqual(
      MIGRATIONS.slice(upTo).map((migration) => migration.name),
    );
    t = await startTestApp(database.url, {}, {}, database.url, database.drop);
    sql = t.sql;
  }, 30_000);
  afterAll(() => t?.close());

  it('every user has exactly one list: its default, named Inbox', async () => {
    const lists = await sql<{ user_id: string; name: string; is_default: boolean }>(
      'SELECT user_id, name, is_default FROM lists ORDER BY user_id',
    );
    expect(lists).toHaveLength(3);
    for (const id of Object.values(userIds)) {
      expect(lists.filter((list) => list.user_id === id)).toEqual([
        { user_id: id, name: 'Inbox', is_default: true },
      ]);
    }
  });

  it('every old task is in its owner’s Inbox, top-level, not recurring, in UTC', async () => {
    const rows = await sql<Record<string, unknown>>(
      `SELECT t.id, t.parent_id, t.recurrence, t.timezone, l.is_default, l.user_id = t.user_id AS own
         FROM tasks t JOIN lists l ON l.id = t.list_id`,
    );
    expect(rows).toHaveLength(ANN_TASKS + 3);
    for (const row of rows) {
      expect(row).toMatchObject({
        parent_id: null,
        recurrence: null,
        timezone: 'UTC',
        is_default: true,
        own: true,
      });
    }
  });

  it('the old columns are exactly as they were', async () => {
    expect(await sql(`SELECT ${OLD_COLUMNS} FROM tasks ORDER BY id`)).toEqual(oldRows);
  });

  it('positions are distinct, and their byte order is each user’s creation order', async () => {
    for (const [name, id] of [
      ['ann', userIds.ann],
      ['ben', userIds.ben],
    ] as const) {
      const rows = await sql<{ id: string; position: string }>(
        'SELECT id, position FROM tasks WHERE user_id = $1 ORDER BY created_at, id',
        [id],
      );
      expect(rows).toHaveLength(name === 'ann' ? ANN_TASKS : 3);
      expectStrictlyIncreasing(rows.map((row) => row.position));
      // The database orders them the same way (position is compared byte-wise there too).
      const byPosition = await sql<{ id: string }>(
        'SELECT id FROM tasks WHERE user_id = $1 ORDER BY position',
        [id],
      );
      expect(ids(byPosition)).toEqual(ids(rows));
      const positions = rows.map((row) => row.position);
      expect([...positions].sort(byteOrder)).toEqual(positions);
    }
  });

  describe('the app on the migrated database', () => {
    let auth: { Authorization: string };
    beforeAll(async () => {
      const login = await t
        .http()
        .post('/api/auth/login')
        .send({ email: users.ann, password: PASSWORD })
        .expect(200);
      auth = { Authorization: `Bearer ${login.body.access_token}` };
    });
    const expectedTitles = Array.from(
      { length: ANN_TASKS },
      (_, i) => `ann ${String(i + 1).padStart(2, '0')}`,
    );

    it('serves the old tasks with sort=position in creation order, paged', async () => {
      const [inbox] = (await t.http().get('/api/me/lists').set(auth).expect(200)).body;
      expect(inbox).toMatchObject({
        name: 'Inbox',
        is_default: true,
        task_count: ANN_TASKS,
        pending_count: ANN_TASKS,
      });
      const walk = await allPages(t, auth, '/api/me/tasks?sort=position&limit=30');
      expect(walk.pages).toBe(3);
      expect(walk.rows.map((row) => row.title)).toEqual(expectedTitles);
      for (const row of walk.rows) {
        expect(Object.keys(row).sort()).toEqual([...TASK_FIELDS].sort());
        expect(row).toMatchObject({ list_id: inbox.id, parent_id: null, user_id: userIds.ann });
      }
      const filtered = await t
        .http()
        .get(`/api/me/tasks?sort=position&list_id=${inbox.id}&parent_id=none&limit=100`)
        .set(auth)
        .expect(200);
      expect(ids(filtered.body)).toEqual(walk.ids);
    });

    it('a new task goes after them, and they can be moved', async () => {
      const created = await t
        .http()
        .post('/api/me/tasks')
        .set(auth)
        .send({ title: 'ann new' })
        .expect(201);
      const order = async () =>
        (await t.http().get('/api/me/tasks?sort=position&limit=100').set(auth).expect(200)).body;
      let rows = await order();
      expect(rows.map((row: { title: string }) => row.title)).toEqual([
        ...expectedTitles,
        'ann new',
      ]);
      await t
        .http()
        .post(`/api/me/tasks/${created.body.id}/move`)
        .set(auth)
        .send({ before: rows[0].id })
        .expect(200);
      await t
        .http()
        .post(`/api/me/tasks/${rows[0].id}/move`)
        .set(auth)
        .send({ after: rows[35].id })
        .expect(200);
      rows = await order();
      const titles = rows.map((row: { title: string }) => row.title);
      expect(titles.slice(0, 3)).toEqual(['ann new', 'ann 02', 'ann 03']);
      expect(titles[36]).toBe('ann 01');
      expectStrictlyIncreasing(rows.map((row: { position: string }) => row.position));
    });

    it('a user made after the migration gets an Inbox too, even by plain SQL', async () => {
      const [user] = await sql<{ id: string }>(
        `INSERT INTO users (email, password_hash) VALUES ('late@example.com', 'x') RETURNING id`,
      );
      expect(await sql('SELECT name, is_default FROM lists WHERE user_id = $1', [user.id])).toEqual(
        [{ name: 'Inbox', is_default: true }],
      );
    });
  });
});
