import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS } from '../src/database/data-source-options';
import { runMigrations } from '../src/database/migrate';
import { ADMIN_PASSWORD, adminApi, loginAdmin } from './support/admin';
import { clearCompleted, createTask, registerUser, type Registered } from './support/builders';
import { insertTasks } from './support/db';
import { runJob } from './support/jobs';
import { allPages } from './support/paging';
import { deleteForGood, emptyTrash, restoreTask, trashTask } from './support/trash';
import { createTestDatabase, startTestApp, useTestApp, type TestApp } from './support/test-app';

const MINUTE = 60_000;
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * MINUTE).toISOString();

/**
 * The numbers as a count over the tables says they are: what GET /api/admin/stats and each
 * AdminUser's task_count, read from counters (migration 1764600000000), must always equal.
 */
async function countedOverTables(t: Pick<TestApp, 'sql'>) {
  const [stats] = await t.sql<{ users: object; tasks: object }>(
    `SELECT
       (SELECT json_build_object('total', count(*), 'admins', count(*) FILTER (WHERE role = 'admin'),
                                 'banned', count(*) FILTER (WHERE banned))
          FROM users) AS users,
       (SELECT json_build_object('total', count(*), 'completed', count(*) FILTER (WHERE completed),
                                 'pending', count(*) FILTER (WHERE NOT completed),
                                 'overdue', count(*) FILTER (WHERE NOT completed AND due_date < now()))
          FROM tasks) AS tasks`,
  );
  const users = await t.sql<{ id: string; n: number }>(
    `SELECT u.id, (SELECT count(*)::int FROM tasks t WHERE t.user_id = u.id) AS n FROM users u`,
  );
  return { stats, taskCounts: Object.fromEntries(users.map((user) => [user.id, user.n])) };
}

/** The stats and every user's task_count, as the admin API answers them. */
async function answered(t: TestApp, admin: Registered) {
  const stats = (await t.http().get('/api/admin/stats').set(admin.auth).expect(200)).body;
  const users = await allPages(t, admin.auth, '/api/admin/users?limit=100');
  return {
    stats,
    taskCounts: Object.fromEntries(users.rows.map((user) => [user.id, user.task_count])),
  };
}

describe('GET /api/admin/stats and task_count: exact after every kind of write', () => {
  const t = useTestApp({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD });
  let admin: Registered;
  let alice: Registered;
  let bob: Registered;
  const asAdmin = adminApi(t, () => admin);

  beforeAll(async () => {
    admin = await loginAdmin(t);
    alice = await registerUser(t);
    bob = await registerUser(t);
  });

  /** The API's numbers equal the count over the tables; returns them for the deltas. */
  async function expectExact() {
    const now = await answered(t, admin);
    expect(now).toEqual(await countedOverTables(t));
    return now.stats;
  }

  /** Runs `write`, checks the counters stayed exact, and returns how the task numbers moved. */
  async function taskDelta(write: () => Promise<unknown>) {
    const before = await expectExact();
    await write();
    const after = await expectExact();
    return Object.fromEntries(
      Object.entries(after.tasks).map(([key, value]) => [
        key,
        (value as number) - before.tasks[key],
      ]),
    );
  }

  const patch = (user: Registered, id: string, body: object) =>
    t.http().patch(`/api/me/tasks/${id}`).set(user.auth).send(body).expect(200);
  const toggle = (user: Registered, id: string) =>
    t.http().patch(`/api/me/tasks/${id}/complete`).set(user.auth).expect(200);

  it('creates: pending, completed, overdue, due soon, due a minute ago', async () => {
    expect(
      await taskDelta(async () => {
        await createTask(t, alice);
        await createTask(t, alice, { completed: true });
        await createTask(t, alice, { due_date: '2020-01-01' });
        await createTask(t, alice, { due_date: '2020-01-01', completed: true });
        await createTask(t, alice, { due_date: inMinutes(10) });
        // In this hour or the last: through the index or from the hour's counter, alike.
        await createTask(t, bob, { due_date: inMinutes(-1) });
      }),
    ).toEqual({ total: 6, completed: 2, pending: 4, overdue: 2 });
  });

  it('complete and reopen an overdue task (the toggle, and completed in a PATCH)', async () => {
    const task = await createTask(t, alice, { due_date: '2021-06-01T10:30:00Z' });
    expect(await taskDelta(() => toggle(alice, task.id))).toEqual({
      total: 0,
      completed: 1,
      pending: -1,
      overdue: -1,
    });
    expect(await taskDelta(() => patch(alice, task.id, { completed: false }))).toEqual({
      total: 0,
      completed: -1,
      pending: 1,
      overdue: 1,
    });
  });

  it('a due date moved into the past, into the future, and taken away', async () => {
    const task = await createTask(t, bob, { due_date: '2999-01-01' });
    expect((await taskDelta(() => patch(bob, task.id, { due_date: '2022-03-04' }))).overdue).toBe(
      1,
    );
    expect((await taskDelta(() => patch(bob, task.id, { due_date: '2998-01-01' }))).overdue).toBe(
      -1,
    );
    await patch(bob, task.id, { due_date: '2022-03-04' });
    expect((await taskDelta(() => patch(bob, task.id, { due_date: null }))).overdue).toBe(-1);
  });

  it('the trash: a parent with its subtasks out and back; deleted for good; emptied', async () => {
    const parent = await createTask(t, alice, { title: 'parent', due_date: '2020-02-02' });
    await createTask(t, alice, { parent_id: parent.id, completed: true });
    await createTask(t, alice, { parent_id: parent.id, due_date: '2020-02-03' });
    expect(await taskDelta(() => trashTask(t, alice, parent.id))).toEqual({
      total: -3,
      completed: -1,
      pending: -2,
      overdue: -2,
    });
    expect(await taskDelta(() => restoreTask(t, alice, parent.id).expect(200))).toEqual({
      total: 3,
      completed: 1,
      pending: 2,
      overdue: 2,
    });
    await trashTask(t, alice, parent.id);
    // Trashed tasks count nowhere: deleting them for good changes no number.
    expect(await taskDelta(() => deleteForGood(t, alice, parent.id).expect(204))).toEqual({
      total: 0,
      completed: 0,
      pending: 0,
      overdue: 0,
    });
    const other = await createTask(t, alice);
    await trashTask(t, alice, other.id);
    await taskDelta(() => emptyTrash(t, alice).expect(200));
  });

  it('the trash purge job deletes old trash for good and changes no number', async () => {
    const old = await createTask(t, bob, { due_date: '2020-01-01' });
    await trashTask(t, bob, old.id);
    await t.sql(`UPDATE task_rows SET deleted_at = now() - interval '400 days' WHERE id = $1`, [
      old.id,
    ]);
    await taskDelta(() => runJob(t, 'trash.purge'));
    expect(await t.sql('SELECT 1 FROM task_rows WHERE id = $1', [old.id])).toEqual([]);
  });

  it('clear completed', async () => {
    await createTask(t, bob, { completed: true });
    await createTask(t, bob, { completed: true, due_date: '2020-01-01' });
    const [{ n }] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM tasks WHERE user_id = $1 AND completed',
      [bob.id],
    );
    const delta = await taskDelta(() => clearCompleted(t, bob).expect(200));
    expect([n, delta.completed, delta.pending]).toEqual([2, -2, 0]);
  });

  it('a list deleted with its tasks; a task moved to another list (no change)', async () => {
    const list = (
      await t.http().post('/api/me/lists').set(alice.auth).send({ name: 'Doomed' }).expect(201)
    ).body;
    const other = (
      await t.http().post('/api/me/lists').set(alice.auth).send({ name: 'Other' }).expect(201)
    ).body;
    await createTask(t, alice, { list_id: list.id, due_date: '2020-01-01' });
    const moving = await createTask(t, alice, { list_id: list.id, completed: true });
    expect(
      await taskDelta(() =>
        t
          .http()
          .post(`/api/me/tasks/${moving.id}/move`)
          .set(alice.auth)
          .send({ list_id: other.id })
          .expect(200),
      ),
    ).toEqual({ total: 0, completed: 0, pending: 0, overdue: 0 });
    await createTask(t, alice, { list_id: list.id });
    expect(
      await taskDelta(() =>
        t.http().delete(`/api/me/lists/${list.id}`).set(alice.auth).expect(204),
      ),
    ).toEqual({ total: -2, completed: 0, pending: -2, overdue: -1 });
  });

  it('a recurring task: an overdue occurrence done moves on; one that ends completes for good', async () => {
    const weekly = await createTask(t, bob, {
      due_date: '2020-01-06T09:00:00Z',
      recurrence: 'FREQ=WEEKLY',
    });
    // The next occurrence is after now: pending still, no longer overdue.
    expect(await taskDelta(() => toggle(bob, weekly.id))).toEqual({
      total: 0,
      completed: 0,
      pending: 0,
      overdue: -1,
    });
    // In the future, from one hour's counter to another's: no number moves.
    expect(await taskDelta(() => toggle(bob, weekly.id))).toEqual({
      total: 0,
      completed: 0,
      pending: 0,
      overdue: 0,
    });
    const once = await createTask(t, bob, {
      due_date: '2020-01-06T09:00:00Z',
      recurrence: 'FREQ=DAILY;COUNT=1',
    });
    expect(await taskDelta(() => toggle(bob, once.id))).toEqual({
      total: 0,
      completed: 1,
      pending: -1,
      overdue: -1,
    });
  });

  it("an admin's delete of a task is for good", async () => {
    const task = await createTask(t, bob, { due_date: '2020-01-01' });
    expect(
      await taskDelta(() =>
        t.http().delete(`/api/admin/users/${bob.id}/tasks/${task.id}`).set(admin.auth).expect(204),
      ),
    ).toEqual({ total: -1, completed: 0, pending: -1, overdue: -1 });
  });

  it('users: sign-up, role, ban, unban, and a delete with live and trashed tasks', async () => {
    const before = await expectExact();
    const carol = await registerUser(t);
    await createTask(t, carol, { due_date: '2020-01-01' });
    const trashed = await createTask(t, carol, { completed: true });
    await trashTask(t, carol, trashed.id);
    await asAdmin.setRole(carol.id, 'admin').expect(200);
    await asAdmin.ban(bob.id).expect(200);
    expect((await expectExact()).users).toEqual({
      total: before.users.total + 1,
      admins: before.users.admins + 1,
      banned: before.users.banned + 1,
    });
    await asAdmin.unban(bob.id).expect(200);
    await asAdmin.deleteUser(carol.id).expect(204);
    const after = await expectExact();
    expect([after.users, after.tasks]).toEqual([before.users, before.tasks]);
  });

  it('SQL statements on many rows and users at once, and a cascade from users', async () => {
    const dave = await registerUser(t);
    const delta = await taskDelta(async () => {
      for (const user of [alice, bob, dave])
        await insertTasks(t, user.id, 40, (i) => ({
          title: `bulk ${i}`,
          due_date: i % 2 ? '2020-05-05T05:05:05Z' : null,
        }));
      await t.sql(
        `UPDATE tasks SET completed = true, completed_at = now() WHERE title IN ('bulk 1', 'bulk 2')`,
      );
      await t.sql(`DELETE FROM users WHERE id = $1`, [dave.id]);
    });
    expect(delta).toEqual({ total: 80, completed: 4, pending: 76, overdue: 38 });
  });

  it('the fold job: past hours folded into one row per shard, numbers unchanged', async () => {
    await insertTasks(t, alice.id, 5, (i) => ({
      title: `hour ${i}`,
      due_date: inMinutes(-90 * i),
    }));
    const old = await createTask(t, alice, { due_date: '2020-07-07T07:00:00Z' });
    const pastHours = async () =>
      (
        await t.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM task_due_stats
            WHERE due_hour > '-infinity' AND due_hour < date_trunc('hour', now(), 'UTC')`,
        )
      )[0].n;
    expect(await pastHours()).toBeGreaterThan(5);
    await taskDelta(() => runJob(t, 'stats.fold'));
    expect(await pastHours()).toBe(0);
    // A task of a folded hour completed: a row of its own for that hour, then folded again.
    expect((await taskDelta(() => toggle(alice, old.id))).overdue).toBe(-1);
    expect(await pastHours()).toBe(1);
    await taskDelta(() => runJob(t, 'stats.fold'));
    expect(await pastHours()).toBe(0);
  });
});

describe('Migration 1764600000000 counts what is already there', () => {
  let t: TestApp;
  let admin: Registered;

  beforeAll(async () => {
    const database = await createTestDatabase();
    const before = MIGRATIONS.filter((migration) => migration.name !== 'AdminAtScale1764600000000');
    const old = new DataSource({
      ...dataSourceOptions({ url: database.url, poolMax: 2 }),
      migrations: before,
    });
    await old.initialize();
    try {
      await runMigrations(old);
      // Two users with tasks of every kind (one trashed), one admin, one banned, one with none.
      await old.query(`
        INSERT INTO users (email, password_hash, role, banned)
        VALUES ('a@example.com', 'x', 'admin', false), ('b@example.com', 'x', 'user', true),
               ('c@example.com', 'x', 'user', false)`);
      await old.query(`
        INSERT INTO tasks (user_id, list_id, position, title, completed, completed_at, due_date)
        SELECT u.id, l.id, 'a' || g, 'old ' || g, g % 3 = 0, CASE WHEN g % 3 = 0 THEN now() END,
               CASE WHEN g % 2 = 0 THEN now() + (g - 10) * interval '1 day' END
          FROM users u JOIN lists l ON l.user_id = u.id, generate_series(1, 20) g
         WHERE u.email <> 'c@example.com'`);
      await old.query(`
        UPDATE task_rows SET deleted_at = now(), trashed_with = id WHERE title IN ('old 4', 'old 9')`);
    } finally {
      await old.destroy();
    }
    // Starting the app runs the migration on that data.
    t = await startTestApp(
      database.url,
      { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD },
      {},
      database.url,
      database.drop,
    );
    admin = await loginAdmin(t);
  }, 60_000);
  afterAll(() => t?.close());

  it('the stats and every task_count equal a count over the tables', async () => {
    const answer = await answered(t, admin);
    expect(answer).toEqual(await countedOverTables(t));
    expect(answer.stats.tasks).toMatchObject({ total: 36, completed: 10 });
    expect(answer.stats.users).toEqual({ total: 4, admins: 2, banned: 1 });
  });
});
