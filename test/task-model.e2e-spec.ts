import type { Test } from 'supertest';
import { createTask, expectProblem, Registered, registerUser } from './support/builders';
import { registerAdmin } from './support/admin';
import { allPages } from './support/paging';
import { completeTask, moveTask, patchTask } from './support/task-model';
import { useTestApp } from './support/test-app';

/** Subtasks, manual order and recurring tasks over HTTP (lists have their own file). */
describe('The task model: subtasks, manual order, recurring tasks', () => {
  const t = useTestApp();
  let user: Registered;
  beforeAll(async () => {
    user = await registerUser(t);
  });

  const createList = async (owner: Registered, name: string) =>
    (await t.http().post('/api/me/lists').set(owner.auth).send({ name }).expect(201)).body;
  const get = async (id: string, owner = user) =>
    (await t.http().get(`/api/me/tasks/${id}`).set(owner.auth).expect(200)).body;
  const move = (id: string, body: Record<string, unknown>, owner = user) =>
    moveTask(t, owner, id, body);
  const titles = async (query: string, owner = user) =>
    (await t.http().get(`/api/me/tasks?${query}`).set(owner.auth).expect(200)).body.map(
      (task: { title: string }) => task.title,
    );
  const fieldsOf = (response: { body: { errors?: { field: string }[] } }) =>
    (response.body.errors ?? []).map((error) => error.field);

  describe('validation of the new fields: 400 on the field, nothing created', () => {
    let other: Registered;
    let othersTask: Record<string, any>;
    let parent: Record<string, any>;
    let child: Record<string, any>;
    beforeAll(async () => {
      other = await registerUser(t);
      othersTask = await createTask(t, other);
      parent = await createTask(t, user, { title: 'Parent' });
      child = await createTask(t, user, { title: 'Child', parent_id: parent.id });
    });

    it.each([
      ['an unknown list', () => ({ list_id: '00000000-0000-4000-8000-000000000000' }), 'list_id'],
      ['a malformed list id', () => ({ list_id: 'inbox' }), 'list_id'],
      ['another user’s task as parent', () => ({ parent_id: othersTask.id }), 'parent_id'],
      ['a subtask as parent (two levels)', () => ({ parent_id: child.id }), 'parent_id'],
      [
        'a bad RRULE',
        () => ({ due_date: '2030-01-01', recurrence: 'FREQ=SOMETIMES' }),
        'recurrence',
      ],
      ['FREQ=HOURLY', () => ({ due_date: '2030-01-01', recurrence: 'FREQ=HOURLY' }), 'recurrence'],
      ['a rule without due_date', () => ({ recurrence: 'FREQ=DAILY' }), 'recurrence'],
      ['an unknown time zone', () => ({ timezone: 'Mars/Olympus' }), 'timezone'],
      ['a position', () => ({ position: 'a0' }), 'position'],
    ])('%s', async (_, body, field) => {
      const before = await titles('limit=100');
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: 'Refused', ...body() });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(response)).toContain(field);
      expect(await titles('limit=100')).toEqual(before);
    });

    it('another user’s list is 400 on list_id', async () => {
      const [othersInbox] = (await t.http().get('/api/me/lists').set(other.auth)).body;
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: 'Refused', list_id: othersInbox.id });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(response)).toEqual(['list_id']);
    });

    it('a cycle: a task made a child of its own subtask, or of itself, is 400 on parent_id', async () => {
      for (const parentId of [child.id, parent.id]) {
        const response = await patchTask(t, user, parent.id, { parent_id: parentId });
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(fieldsOf(response)).toEqual(['parent_id']);
      }
      expect((await get(parent.id)).parent_id).toBeNull();
    });

    it('a subtask in another list than its parent’s is 400 on list_id', async () => {
      const list = await createList(user, 'Elsewhere');
      const created = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: 'Refused', parent_id: parent.id, list_id: list.id });
      expect(fieldsOf(created)).toEqual(['list_id']);
      const patched = await patchTask(t, user, child.id, { list_id: list.id });
      expectProblem(patched, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(patched)).toEqual(['list_id']);
    });

    it('clearing the due date of a recurring task is 400 on recurrence', async () => {
      const task = await createTask(t, user, { due_date: '2030-01-01', recurrence: 'FREQ=DAILY' });
      const response = await patchTask(t, user, task.id, { due_date: null });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(response)).toEqual(['recurrence']);
      expect((await get(task.id)).due_date).toBe('2030-01-01T00:00:00.000Z');
    });
  });

  describe('subtasks', () => {
    it('live in the parent’s list, filter by parent_id, move and go with the parent', async () => {
      const owner = await registerUser(t);
      const list = await createList(owner, 'Project');
      const parent = await createTask(t, owner, { title: 'Parent' });
      const a = await createTask(t, owner, { title: 'Sub A', parent_id: parent.id });
      await createTask(t, owner, { title: 'Sub B', parent_id: parent.id });
      expect(a.list_id).toBe(parent.list_id);
      expect(await titles(`parent_id=${parent.id}&sort=position`, owner)).toEqual([
        'Sub A',
        'Sub B',
      ]);
      expect(await titles('parent_id=none', owner)).toEqual(['Parent']);

      const etagBefore = (await t.http().get(`/api/me/tasks/${a.id}`).set(owner.auth)).headers.etag;
      await patchTask(t, owner, parent.id, { list_id: list.id }).expect(200);
      const moved = await t.http().get(`/api/me/tasks/${a.id}`).set(owner.auth).expect(200);
      expect(moved.body.list_id).toBe(list.id);
      expect(moved.headers.etag).not.toBe(etagBefore);
      expect(await titles(`list_id=${list.id}&parent_id=none`, owner)).toEqual(['Parent']);
      expect(
        await titles(`list_id=${list.id}&parent_id=${parent.id}&sort=position`, owner),
      ).toEqual(['Sub A', 'Sub B']);

      await t.http().delete(`/api/me/tasks/${parent.id}`).set(owner.auth).expect(204);
      expect(await titles('limit=100', owner)).toEqual([]);
    });
  });

  describe('manual order', () => {
    let owner: Registered;
    let ids: Record<string, string>;
    beforeEach(async () => {
      owner = await registerUser(t);
      ids = {};
      for (const title of ['A', 'B', 'C', 'D'])
        ids[title] = (await createTask(t, owner, { title })).id;
    });
    const order = () => titles('sort=position', owner);

    it('new tasks go last; move before, after and last', async () => {
      expect(await order()).toEqual(['A', 'B', 'C', 'D']);
      await move(ids.D, { before: ids.A }, owner).expect(200);
      expect(await order()).toEqual(['D', 'A', 'B', 'C']);
      await move(ids.D, { after: ids.B }, owner).expect(200);
      expect(await order()).toEqual(['A', 'B', 'D', 'C']);
      await move(ids.A, {}, owner).expect(200);
      expect(await order()).toEqual(['B', 'D', 'C', 'A']);
      expect(await titles('sort=position&order=desc', owner)).toEqual(['A', 'C', 'D', 'B']);
    });

    it('into another list and under another parent; anchors must be new siblings', async () => {
      const list = await createList(owner, 'Other');
      const x = await createTask(t, owner, { title: 'X', list_id: list.id });
      const wrongAnchor = await move(ids.A, { list_id: list.id, before: ids.B }, owner);
      expectProblem(wrongAnchor, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(wrongAnchor)).toEqual(['before']);
      const moved = await move(ids.A, { list_id: list.id, before: x.id }, owner).expect(200);
      expect(moved.body.list_id).toBe(list.id);
      expect(await titles(`list_id=${list.id}&sort=position`, owner)).toEqual(['A', 'X']);
      const under = await move(ids.B, { parent_id: x.id }, owner).expect(200);
      expect(under.body).toMatchObject({ parent_id: x.id, list_id: list.id });
      const top = await move(ids.B, { parent_id: null }, owner).expect(200);
      expect(top.body).toMatchObject({ parent_id: null, list_id: list.id });
      for (const [body, field] of [
        [{ before: ids.C, after: ids.D }, 'after'],
        [{ before: ids.C }, 'before'],
      ] as const) {
        const response = await move(ids.C, body, owner);
        expect(fieldsOf(response)).toEqual([field]);
      }
    });

    it('If-Match: a stale ETag is 412 and nothing moves', async () => {
      const etag = (await t.http().get(`/api/me/tasks/${ids.A}`).set(owner.auth)).headers.etag;
      await patchTask(t, owner, ids.A, { title: 'A' });
      const response = await move(ids.A, {}, owner).set('If-Match', etag);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await order()).toEqual(['A', 'B', 'C', 'D']);
    });

    it('two concurrent moves into the same gap both succeed and leave a strict order', async () => {
      const [first, second] = await Promise.all([
        move(ids.C, { after: ids.A }, owner),
        move(ids.D, { after: ids.A }, owner),
      ]);
      expect([first.status, second.status]).toEqual([200, 200]);
      const tasks = (await t.http().get('/api/me/tasks?sort=position').set(owner.auth).expect(200))
        .body as { title: string; position: string }[];
      const positions = tasks.map((task) => task.position);
      expect(new Set(positions).size).toBe(4);
      expect([...positions].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(
        positions,
      );
      expect(tasks[0].title).toBe('A');
      expect(tasks[3].title).toBe('B');
    });

    it('paging through sort=position after many moves visits every task once, in order', async () => {
      for (let i = 0; i < 16; i++)
        ids[`t${i}`] = (await createTask(t, owner, { title: `t${i}` })).id;
      const names = Object.keys(ids);
      let seed = 7;
      const pick = () => names[(seed = (seed * 31 + 11) % 997) % names.length];
      for (let i = 0; i < 20; i++) {
        const [task, anchor] = [pick(), pick()];
        if (task !== anchor)
          await move(ids[task], { [i % 2 ? 'before' : 'after']: ids[anchor] }, owner).expect(200);
      }
      const walk = await allPages(t, owner.auth, '/api/me/tasks?sort=position&limit=3');
      const seen = walk.rows as { id: string; position: string }[];
      expect(walk.pages).toBe(7);
      expect(seen.map((task) => task.id).sort()).toEqual(Object.values(ids).sort());
      const positions = seen.map((task) => task.position);
      expect([...positions].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(
        positions,
      );
    });
  });

  describe('recurring tasks', () => {
    const complete = (id: string, body?: { completed: boolean }) => completeTask(t, user, id, body);
    const completions = async (id: string) =>
      (await t.http().get(`/api/me/tasks/${id}/completions`).set(user.auth).expect(200)).body;

    it('completing records the occurrence, moves the due date, stays pending, changes the ETag', async () => {
      const task = await createTask(t, user, {
        due_date: '2030-01-07T09:00:00Z',
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
      });
      const before = (await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth)).headers.etag;
      const done = await complete(task.id, { completed: true }).expect(200);
      expect(done.body).toMatchObject({ completed: false, due_date: '2030-01-14T09:00:00.000Z' });
      expect(done.headers.etag).not.toBe(before);
      await complete(task.id).expect(200);
      const list = await completions(task.id);
      expect(list.map((c: { due_date: string }) => c.due_date)).toEqual([
        '2030-01-14T09:00:00.000Z',
        '2030-01-07T09:00:00.000Z',
      ]);
      expect(list[0]).toEqual({
        id: expect.any(String),
        task_id: task.id,
        due_date: '2030-01-14T09:00:00.000Z',
        completed_at: expect.any(String),
      });
    });

    it('keeps 09:00 in Europe/Berlin across the change to summer time', async () => {
      // Clocks go forward on Sunday 2030-03-31: Monday 03-25 09:00 CET is 08:00Z, and Monday
      // 04-01 09:00 CEST is 07:00Z.
      const task = await createTask(t, user, {
        due_date: '2030-03-25T08:00:00Z',
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
        timezone: 'europe/berlin',
      });
      expect(task.timezone).toBe('Europe/Berlin');
      const done = await complete(task.id, { completed: true }).expect(200);
      expect(done.body.due_date).toBe('2030-04-01T07:00:00.000Z');
    });

    it('a late completion skips the missed occurrences', async () => {
      const task = await createTask(t, user, {
        due_date: '2020-01-01T12:00:00Z',
        recurrence: 'FREQ=DAILY',
      });
      const done = await complete(task.id).expect(200);
      const next = new Date(done.body.due_date).getTime();
      expect(next).toBeGreaterThan(Date.now());
      expect(next - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
      expect((await completions(task.id))[0].due_date).toBe('2020-01-01T12:00:00.000Z');
    });

    it('COUNT and UNTIL: the last occurrence completes the task for good', async () => {
      for (const recurrence of ['FREQ=DAILY;COUNT=2', 'FREQ=DAILY;UNTIL=20300102T120000Z']) {
        const task = await createTask(t, user, { due_date: '2030-01-01T12:00:00Z', recurrence });
        const first = await complete(task.id).expect(200);
        expect(first.body).toMatchObject({
          completed: false,
          due_date: '2030-01-02T12:00:00.000Z',
        });
        const last = await complete(task.id).expect(200);
        expect(last.body).toMatchObject({ completed: true, due_date: '2030-01-02T12:00:00.000Z' });
        expect(await completions(task.id)).toHaveLength(2);
      }
    });

    it('a stale If-Match is 412 and records nothing', async () => {
      const task = await createTask(t, user, { due_date: '2030-01-01', recurrence: 'FREQ=DAILY' });
      const response = await complete(task.id).set('If-Match', '"999"');
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await completions(task.id)).toEqual([]);
      expect((await get(task.id)).due_date).toBe('2030-01-01T00:00:00.000Z');
    });
  });

  it('the admin’s task lists take list_id (and a malformed one is 400)', async () => {
    const admin = await registerAdmin(t);
    const owner = await registerUser(t);
    const list = await createList(owner, 'Audited');
    await createTask(t, owner, { title: 'In the list', list_id: list.id });
    await createTask(t, owner, { title: 'In the Inbox' });
    for (const url of [
      `/api/admin/tasks?list_id=${list.id}`,
      `/api/admin/users/${owner.id}/tasks?list_id=${list.id}`,
    ]) {
      const response = await t.http().get(url).set(admin.auth).expect(200);
      expect(response.body.map((task: { title: string }) => task.title)).toEqual(['In the list']);
    }
    expectProblem(
      await t.http().get('/api/admin/tasks?list_id=nope').set(admin.auth),
      400,
      'VALIDATION_FAILED',
    );
  });

  describe('isolation of the new routes', () => {
    let alice: Registered;
    let bob: Registered;
    let alicesTask: Record<string, any>;
    beforeAll(async () => {
      alice = await registerUser(t);
      bob = await registerUser(t);
      alicesTask = await createTask(t, alice, { due_date: '2030-01-01', recurrence: 'FREQ=DAILY' });
    });
    const ROUTES: [string, (base: string, id: string) => Test][] = [
      ['move', (base, id) => t.http().post(`${base}/${id}/move`).send({})],
      ['completions', (base, id) => t.http().get(`${base}/${id}/completions`)],
    ];
    const aliceRows = () => t.sql('SELECT * FROM tasks WHERE user_id = $1', [alice.id]);

    it.each(ROUTES)('%s on Alice’s path by Bob: 403, nothing changes', async (_, call) => {
      const before = await aliceRows();
      expectProblem(
        await call(`/api/${alice.id}/tasks`, alicesTask.id).set(bob.auth),
        403,
        'FORBIDDEN',
      );
      expect(await aliceRows()).toEqual(before);
    });

    it.each(ROUTES)(
      '%s of Alice’s task on Bob’s own path: 404, nothing changes',
      async (_, call) => {
        for (const base of ['/api/me/tasks', `/api/${bob.id}/tasks`]) {
          const before = await aliceRows();
          expectProblem(await call(base, alicesTask.id).set(bob.auth), 404, 'TASK_NOT_FOUND');
          expect(await aliceRows()).toEqual(before);
        }
      },
    );

    it('Bob cannot move his task into Alice’s list or under Alice’s task', async () => {
      const mine = await createTask(t, bob);
      const [alicesInbox] = (await t.http().get('/api/me/lists').set(alice.auth)).body;
      expect(fieldsOf(await move(mine.id, { list_id: alicesInbox.id }, bob))).toEqual(['list_id']);
      expect(fieldsOf(await move(mine.id, { parent_id: alicesTask.id }, bob))).toEqual([
        'parent_id',
      ]);
    });
  });
});
