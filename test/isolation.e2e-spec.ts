import type { Test } from 'supertest';
import { createTask, expectProblem, Registered, registerUser } from './support/builders';
import { taskCount } from './support/db';
import { expectEmptyList } from './support/paging';
import { completeTask } from './support/task-model';
import { type TestApp, useTestApp } from './support/test-app';

type Call = (t: TestApp, base: string, taskId: string) => Test;

/** Every owner task route, as a request on a `/api/{user_id}/tasks` base. */
const ROUTES: [string, Call][] = [
  ['list', (t, base) => t.http().get(base)],
  ['create', (t, base) => t.http().post(base).send({ title: 'Intruder' })],
  ['get', (t, base, id) => t.http().get(`${base}/${id}`)],
  ['put', (t, base, id) => t.http().put(`${base}/${id}`).send({ title: 'Hacked' })],
  ['patch', (t, base, id) => t.http().patch(`${base}/${id}`).send({ title: 'Hacked' })],
  ['delete', (t, base, id) => t.http().delete(`${base}/${id}`)],
  ['complete (toggle)', (t, base, id) => t.http().patch(`${base}/${id}/complete`)],
  [
    'complete (set)',
    (t, base, id) => t.http().patch(`${base}/${id}/complete`).send({ completed: false }),
  ],
  ['clear completed', (t, base) => t.http().delete(`${base}?status=completed`)],
  ['move', (t, base, id) => t.http().post(`${base}/${id}/move`).send({})],
  ['completions', (t, base, id) => t.http().get(`${base}/${id}/completions`)],
];
const BY_TASK_ID = ROUTES.filter(([name]) => !['list', 'create', 'clear completed'].includes(name));

describe('Isolation: nobody reaches another user’s tasks', () => {
  const t = useTestApp();
  let alice: Registered;
  let bob: Registered;
  let admin: Registered;
  let alicePending: Record<string, any>;
  let aliceDone: Record<string, any>;
  /** Recurring, with one completed occurrence: the completions must stay hers alone. */
  let aliceRecurring: Record<string, any>;

  beforeAll(async () => {
    alice = await registerUser(t, { name: 'Alice' });
    bob = await registerUser(t, { name: 'Bob' });
    admin = await registerUser(t, { name: 'Admin' });
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    alicePending = await createTask(t, alice, { title: 'Alice pending', tags: ['private'] });
    aliceDone = await createTask(t, alice, { title: 'Alice done', completed: true });
    const recurring = await createTask(t, alice, {
      title: 'Alice weekly',
      due_date: '2030-06-03T09:00:00.000Z',
      recurrence: 'FREQ=WEEKLY',
    });
    aliceRecurring = (await completeTask(t, alice, recurring.id, { completed: true }).expect(200))
      .body;
  });

  /** Alice's rows exactly as stored: every check below ends by comparing them. */
  const aliceRows = async () => ({
    tasks: await t.sql('SELECT * FROM tasks WHERE user_id = $1 ORDER BY id', [alice.id]),
    lists: await t.sql('SELECT * FROM lists WHERE user_id = $1 ORDER BY id', [alice.id]),
    completions: await t.sql(
      `SELECT c.* FROM task_completions c JOIN tasks k ON k.id = c.task_id
        WHERE k.user_id = $1 ORDER BY c.id`,
      [alice.id],
    ),
  });

  it('the admin really is an admin (so its 403s below come from the path rule)', async () => {
    expect((await t.http().get('/api/auth/me').set(admin.auth).expect(200)).body.role).toBe(
      'admin',
    );
  });

  describe.each([
    ['me', () => '/api/me/tasks'],
    ['own id', () => `/api/${bob.id}/tasks`],
  ])('Bob on his own path (%s), with Alice’s task ids', (_, base) => {
    it.each(BY_TASK_ID)('%s: 404 TASK_NOT_FOUND, Alice’s task unchanged', async (_, call) => {
      for (const task of [alicePending, aliceDone, aliceRecurring]) {
        const before = await aliceRows();
        const response = await call(t, base(), task.id).set(bob.auth);
        expectProblem(response, 404, 'TASK_NOT_FOUND');
        expect(JSON.stringify(response.body)).not.toContain('Alice');
        expect(await aliceRows()).toEqual(before);
      }
    });

    it('the 404 for Alice’s task is the same as for a task that does not exist', async () => {
      const alices = await t.http().get(`${base()}/${alicePending.id}`).set(bob.auth);
      const missing = await t
        .http()
        .get(`${base()}/00000000-0000-4000-8000-000000000000`)
        .set(bob.auth);
      expect(alices.status).toBe(404);
      expect({ ...alices.body }).toEqual({ ...missing.body });
    });

    it('list: none of Alice’s tasks, X-Total-Count 0', async () => {
      await expectEmptyList(t, bob.auth, base());
    });

    it('create: the task is Bob’s, Alice has no new task', async () => {
      const before = await aliceRows();
      const response = await t
        .http()
        .post(base())
        .set(bob.auth)
        .send({ title: 'Bob’s own' })
        .expect(201);
      expect(response.body.user_id).toBe(bob.id);
      expect(await aliceRows()).toEqual(before);
      await t.http().delete(`/api/me/tasks/${response.body.id}`).set(bob.auth).expect(204);
    });

    it('clear completed: deletes none of Alice’s completed tasks', async () => {
      const before = await aliceRows();
      const response = await t
        .http()
        .delete(`${base()}?status=completed`)
        .set(bob.auth)
        .expect(200);
      expect(response.body).toEqual({ deleted: 0 });
      expect(await aliceRows()).toEqual(before);
    });
  });

  describe.each([
    ['Bob (a user)', () => bob],
    ['an admin', () => admin],
  ])('%s on Alice’s path', (_, caller) => {
    it.each(ROUTES)('%s: 403 FORBIDDEN, nothing changed', async (_, call) => {
      const before = await aliceRows();
      const callerCount = await taskCount(t, caller().id);
      const response = await call(t, `/api/${alice.id}/tasks`, aliceDone.id).set(caller().auth);
      expectProblem(response, 403, 'FORBIDDEN');
      expect(JSON.stringify(response.body)).not.toContain('Alice');
      expect(await aliceRows()).toEqual(before);
      expect(await taskCount(t, caller().id)).toBe(callerCount);
    });

    it('403 comes before any check of the body or the task id', async () => {
      const base = `/api/${alice.id}/tasks`;
      expectProblem(
        await t.http().post(base).set(caller().auth).send({ title: '' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(await t.http().get(`${base}/not-a-uuid`).set(caller().auth), 403, 'FORBIDDEN');
      expectProblem(await t.http().get(`${base}?limit=9999`).set(caller().auth), 403, 'FORBIDDEN');
    });
  });

  it('an admin on its own path gets 404 for Alice’s task, like anyone', async () => {
    const before = await aliceRows();
    for (const [, call] of BY_TASK_ID) {
      expectProblem(
        await call(t, '/api/me/tasks', alicePending.id).set(admin.auth),
        404,
        'TASK_NOT_FOUND',
      );
    }
    expect(await aliceRows()).toEqual(before);
  });

  it.each([
    ['a user id that does not exist', '00000000-0000-4000-8000-000000000000'],
    ['a name', 'alice'],
    ['an upper-case ME', 'ME'],
    ['a malformed id', 'not-a-uuid'],
  ])('any other {user_id} (%s) is 403 FORBIDDEN', async (_, userId) => {
    for (const [, call] of ROUTES) {
      expectProblem(
        await call(t, `/api/${userId}/tasks`, alicePending.id).set(bob.auth),
        403,
        'FORBIDDEN',
      );
    }
  });

  it.each(BY_TASK_ID)('%s with a malformed task id: 400 naming id', async (_, call) => {
    for (const id of ['not-a-uuid', '123', `${alicePending.id}x`]) {
      const response = await call(t, '/api/me/tasks', id).set(bob.auth);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
    }
  });

  it.each(ROUTES)(
    '%s without a token: 401 UNAUTHENTICATED with WWW-Authenticate, nothing changed',
    async (_, call) => {
      const before = await aliceRows();
      for (const base of ['/api/me/tasks', `/api/${alice.id}/tasks`]) {
        const response = await call(t, base, aliceDone.id);
        expectProblem(response, 401, 'UNAUTHENTICATED');
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
      expect(await aliceRows()).toEqual(before);
    },
  );

  it('Alice herself still sees her tasks exactly as created, and her completion', async () => {
    const response = await t.http().get('/api/me/tasks?order=asc').set(alice.auth).expect(200);
    expect(response.body).toEqual([alicePending, aliceDone, aliceRecurring]);
    const completions = await t
      .http()
      .get(`/api/me/tasks/${aliceRecurring.id}/completions`)
      .set(alice.auth)
      .expect(200);
    expect(completions.body).toEqual([
      expect.objectContaining({ task_id: aliceRecurring.id, due_date: '2030-06-03T09:00:00.000Z' }),
    ]);
  });

  describe('Bob naming Alice’s list or tasks in his own writes: 400 on that field', () => {
    let bobsTask: Record<string, any>;
    let alicesInbox: string;
    beforeAll(async () => {
      bobsTask = await createTask(t, bob, { title: 'Bob’s own' });
      [{ id: alicesInbox }] = await t.sql<{ id: string }>(
        'SELECT id FROM lists WHERE user_id = $1 AND is_default',
        [alice.id],
      );
    });

    it.each([
      [
        'create with Alice’s list',
        () => t.http().post('/api/me/tasks').send({ title: 'x', list_id: alicesInbox }),
        'list_id',
      ],
      [
        'create under Alice’s task',
        () => t.http().post('/api/me/tasks').send({ title: 'x', parent_id: alicePending.id }),
        'parent_id',
      ],
      [
        'patch into Alice’s list',
        () => t.http().patch(`/api/me/tasks/${bobsTask.id}`).send({ list_id: alicesInbox }),
        'list_id',
      ],
      [
        'patch under Alice’s task',
        () => t.http().patch(`/api/me/tasks/${bobsTask.id}`).send({ parent_id: alicePending.id }),
        'parent_id',
      ],
      [
        'move into Alice’s list',
        () => t.http().post(`/api/me/tasks/${bobsTask.id}/move`).send({ list_id: alicesInbox }),
        'list_id',
      ],
      [
        'move under Alice’s task',
        () =>
          t.http().post(`/api/me/tasks/${bobsTask.id}/move`).send({ parent_id: alicePending.id }),
        'parent_id',
      ],
      [
        'move before Alice’s task',
        () => t.http().post(`/api/me/tasks/${bobsTask.id}/move`).send({ before: alicePending.id }),
        'before',
      ],
      [
        'move after Alice’s task',
        () => t.http().post(`/api/me/tasks/${bobsTask.id}/move`).send({ after: aliceDone.id }),
        'after',
      ],
    ])('%s', async (_, call, field) => {
      const before = await aliceRows();
      const bobsBefore = await t.sql('SELECT * FROM tasks WHERE user_id = $1 ORDER BY id', [
        bob.id,
      ]);
      const response = await call().set(bob.auth);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
      expect(JSON.stringify(response.body)).not.toContain('Alice');
      expect(await aliceRows()).toEqual(before);
      expect(await t.sql('SELECT * FROM tasks WHERE user_id = $1 ORDER BY id', [bob.id])).toEqual(
        bobsBefore,
      );
    });
  });
});
