import type { Test } from 'supertest';
import {
  createTask,
  expectProblem,
  LIST_FIELDS as SHARED_LIST_FIELDS,
  Registered,
  registerUser,
} from './support/builders';
import { moveList, patchList } from './support/task-model';
import { createTestApp, TestApp } from './support/test-app';

const LIST_FIELDS = [...SHARED_LIST_FIELDS].sort();

describe('Lists', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const lists = async (user: Registered) =>
    (await t.http().get('/api/me/lists').set(user.auth).expect(200)).body as Record<string, any>[];
  const createList = async (user: Registered, fields: Record<string, unknown>) =>
    (await t.http().post('/api/me/lists').set(user.auth).send(fields).expect(201)).body as Record<
      string,
      any
    >;
  const names = async (user: Registered) => (await lists(user)).map((list) => list.name);

  describe('the default list', () => {
    it('every new account has exactly one, its Inbox, holding its new tasks', async () => {
      const user = await registerUser(t);
      const [inbox, ...others] = await lists(user);
      expect(others).toEqual([]);
      expect(Object.keys(inbox).sort()).toEqual(LIST_FIELDS);
      expect(inbox).toMatchObject({
        user_id: user.id,
        name: 'Inbox',
        color: null,
        is_default: true,
        task_count: 0,
        pending_count: 0,
      });
      const task = await createTask(t, user);
      expect(task.list_id).toBe(inbox.id);
      await createTask(t, user, { completed: true });
      expect((await lists(user))[0]).toMatchObject({ task_count: 2, pending_count: 1 });
    });

    it('can be renamed but not deleted (409 DEFAULT_LIST), and stays the default', async () => {
      const user = await registerUser(t);
      const [inbox] = await lists(user);
      const renamed = await patchList(t, user, inbox.id, { name: 'Everything' }).expect(200);
      expect(renamed.body).toMatchObject({ name: 'Everything', is_default: true });
      const refused = await t.http().delete(`/api/me/lists/${inbox.id}`).set(user.auth);
      expectProblem(refused, 409, 'DEFAULT_LIST');
      expect(await names(user)).toEqual(['Everything']);
      // A new task without list_id still lands in it.
      expect((await createTask(t, user)).list_id).toBe(inbox.id);
    });
  });

  describe('create, read, update', () => {
    let user: Registered;
    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('creates a list last, with Location, name trimmed and color lower-cased', async () => {
      const response = await t
        .http()
        .post('/api/me/lists')
        .set(user.auth)
        .send({ name: '  Groceries ', color: '#33AAFF' })
        .expect(201);
      expect(response.headers.location).toBe(`/api/${user.id}/lists/${response.body.id}`);
      expect(response.body).toMatchObject({
        name: 'Groceries',
        color: '#33aaff',
        is_default: false,
        task_count: 0,
        pending_count: 0,
      });
      const got = await t.http().get(response.headers.location).set(user.auth).expect(200);
      expect(got.body).toEqual(response.body);
      expect(await names(user)).toEqual(['Inbox', 'Groceries']);
    });

    it('names are unique per user ignoring case: 409 LIST_NAME_TAKEN, nothing created', async () => {
      await createList(user, { name: 'Work' });
      for (const name of ['work', ' WORK ', 'inbox']) {
        const response = await t.http().post('/api/me/lists').set(user.auth).send({ name });
        expectProblem(response, 409, 'LIST_NAME_TAKEN');
      }
      const other = await createList(user, { name: 'Other' });
      const rename = await patchList(t, user, other.id, { name: 'WORK' });
      expectProblem(rename, 409, 'LIST_NAME_TAKEN');
      // Another user may use the same name.
      const bob = await registerUser(t);
      await createList(bob, { name: 'Work' });
      expect((await names(user)).filter((name) => name.toLowerCase() === 'work')).toHaveLength(1);
    });

    it('PATCH changes only what is given; color null clears it', async () => {
      const list = await createList(user, { name: 'Colourful', color: '#112233' });
      const renamed = await patchList(t, user, list.id, { name: 'Renamed' }).expect(200);
      expect(renamed.body).toMatchObject({ name: 'Renamed', color: '#112233' });
      const cleared = await patchList(t, user, list.id, { color: null }).expect(200);
      expect(cleared.body).toMatchObject({ name: 'Renamed', color: null });
      expect(new Date(cleared.body.updated_at).getTime()).toBeGreaterThanOrEqual(
        new Date(list.updated_at).getTime(),
      );
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 7 }, 'name'],
      [{ name: 'Ok', color: 'red' }, 'color'],
      [{ name: 'Ok', color: '#12345' }, 'color'],
      [{ name: 'Ok', color: '#1234567' }, 'color'],
      [{ name: 'Ok', position: 'a0' }, 'position'],
      [{ name: 'Ok', is_default: true }, 'is_default'],
      [{ name: 'Ok', user_id: '00000000-0000-4000-8000-000000000000' }, 'user_id'],
    ])('create %j: 400 on %s', async (body, field) => {
      const before = await names(user);
      const response = await t.http().post('/api/me/lists').set(user.auth).send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await names(user)).toEqual(before);
    });

    it('a list name of 100 code points counts emoji as one', async () => {
      const list = await createList(user, { name: '🚀'.repeat(100) });
      expect([...list.name]).toHaveLength(100);
    });

    it('a malformed id is 400, a missing one 404 LIST_NOT_FOUND', async () => {
      expectProblem(
        await t.http().get('/api/me/lists/not-a-uuid').set(user.auth),
        400,
        'VALIDATION_FAILED',
      );
      for (const call of [
        t.http().get('/api/me/lists/00000000-0000-4000-8000-000000000000'),
        t.http().patch('/api/me/lists/00000000-0000-4000-8000-000000000000').send({ name: 'x' }),
        t.http().delete('/api/me/lists/00000000-0000-4000-8000-000000000000'),
        t.http().post('/api/me/lists/00000000-0000-4000-8000-000000000000/move').send({}),
      ]) {
        expectProblem(await call.set(user.auth), 404, 'LIST_NOT_FOUND');
      }
    });
  });

  it('at most 500 lists per user: the 501st is 409 LIMIT_REACHED', async () => {
    const user = await registerUser(t);
    await t.sql(
      `INSERT INTO lists (user_id, name, position)
       SELECT $1, 'bulk ' || n, 'b' || lpad(n::text, 2, '0') FROM generate_series(10, 99) n`,
      [user.id],
    );
    await t.sql(
      `INSERT INTO lists (user_id, name, position)
       SELECT $1, 'more ' || n, 'c' || lpad(n::text, 3, '0') FROM generate_series(100, 508) n`,
      [user.id],
    );
    const count = async () =>
      (
        await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM lists WHERE user_id = $1', [
          user.id,
        ])
      )[0].n;
    expect(await count()).toBe(500);
    const response = await t.http().post('/api/me/lists').set(user.auth).send({ name: 'One more' });
    expectProblem(response, 409, 'LIMIT_REACHED');
    expect(await count()).toBe(500);
  });

  it('pages through the lists in manual order', async () => {
    const user = await registerUser(t);
    for (const name of ['A', 'B', 'C', 'D', 'E']) await createList(user, { name });
    const seen: string[] = [];
    let url: string | undefined = '/api/me/lists?limit=2';
    while (url) {
      const page: { headers: Record<string, string>; body: { name: string }[] } = await t
        .http()
        .get(url)
        .set(user.auth)
        .expect(200);
      expect(page.headers['x-total-count']).toBe('6');
      seen.push(...page.body.map((list: { name: string }) => list.name));
      url = /<([^>]+)>; rel="next"/.exec(page.headers.link ?? '')?.[1];
    }
    expect(seen).toEqual(['Inbox', 'A', 'B', 'C', 'D', 'E']);
  });

  describe('move', () => {
    let user: Registered;
    let byName: Record<string, string>;
    beforeEach(async () => {
      user = await registerUser(t);
      for (const name of ['A', 'B', 'C']) await createList(user, { name });
      byName = Object.fromEntries((await lists(user)).map((list) => [list.name, list.id]));
    });
    const move = (name: string, body: Record<string, unknown>) =>
      moveList(t, user, byName[name], body);

    it('before, after, and last', async () => {
      await move('C', { before: byName.A }).expect(200);
      expect(await names(user)).toEqual(['Inbox', 'C', 'A', 'B']);
      await move('Inbox', { after: byName.B }).expect(200);
      expect(await names(user)).toEqual(['C', 'A', 'B', 'Inbox']);
      await move('C', {}).expect(200);
      expect(await names(user)).toEqual(['A', 'B', 'Inbox', 'C']);
      await move('A', { after: byName.B }).expect(200);
      expect(await names(user)).toEqual(['B', 'A', 'Inbox', 'C']);
    });

    it('refuses another user’s list, itself, both anchors, or a malformed id (400)', async () => {
      const bob = await registerUser(t);
      const [bobsInbox] = await lists(bob);
      for (const [body, field] of [
        [{ before: bobsInbox.id }, 'before'],
        [{ after: byName.A }, 'after'],
        [{ before: 'nope' }, 'before'],
        [{ before: byName.B, after: byName.C }, 'after'],
      ] as const) {
        const response = await move('A', body);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors[0].field).toBe(field);
      }
      expect(await names(user)).toEqual(['Inbox', 'A', 'B', 'C']);
    });

    it('two concurrent moves into the same gap both succeed and leave a strict order', async () => {
      for (const name of ['D', 'E']) await createList(user, { name });
      byName = Object.fromEntries((await lists(user)).map((list) => [list.name, list.id]));
      const [first, second] = await Promise.all([
        move('D', { after: byName.A }),
        move('E', { after: byName.A }),
      ]);
      expect([first.status, second.status]).toEqual([200, 200]);
      const after = await lists(user);
      const positions = after.map((list) => list.position);
      expect(new Set(positions).size).toBe(positions.length);
      expect([...positions].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))).toEqual(
        positions,
      );
      const order = after.map((list) => list.name);
      expect(order.slice(0, 2)).toEqual(['Inbox', 'A']);
      expect(order.slice(2, 4).sort()).toEqual(['D', 'E']);
      expect(order.slice(4)).toEqual(['B', 'C']);
    });
  });

  it('deleting a list deletes its tasks, and only its own', async () => {
    const user = await registerUser(t);
    const doomed = await createList(user, { name: 'Doomed' });
    const kept = await createTask(t, user, { title: 'Kept' });
    const parent = await createTask(t, user, { title: 'Goes', list_id: doomed.id });
    await createTask(t, user, { title: 'Goes too', parent_id: parent.id });
    expect((await t.http().get(`/api/me/lists/${doomed.id}`).set(user.auth)).body.task_count).toBe(
      2,
    );
    await t.http().delete(`/api/me/lists/${doomed.id}`).set(user.auth).expect(204);
    expectProblem(
      await t.http().get(`/api/me/lists/${doomed.id}`).set(user.auth),
      404,
      'LIST_NOT_FOUND',
    );
    const left = await t.sql<{ title: string }>('SELECT title FROM tasks WHERE user_id = $1', [
      user.id,
    ]);
    expect(left.map((row) => row.title)).toEqual([kept.title]);
  });

  describe('isolation', () => {
    let alice: Registered;
    let bob: Registered;
    let alicesList: Record<string, any>;
    beforeAll(async () => {
      alice = await registerUser(t);
      bob = await registerUser(t);
      alicesList = await createList(alice, { name: 'Private' });
    });
    const aliceRows = () => t.sql('SELECT * FROM lists WHERE user_id = $1 ORDER BY id', [alice.id]);

    const ROUTES: [string, (base: string, id: string) => Test][] = [
      ['list', (base) => t.http().get(base)],
      ['create', (base) => t.http().post(base).send({ name: 'Intruder' })],
      ['get', (base, id) => t.http().get(`${base}/${id}`)],
      ['patch', (base, id) => t.http().patch(`${base}/${id}`).send({ name: 'Hacked' })],
      ['delete', (base, id) => t.http().delete(`${base}/${id}`)],
      ['move', (base, id) => t.http().post(`${base}/${id}/move`).send({})],
    ];

    it.each(ROUTES)(
      '%s on Alice’s path by Bob: 403 FORBIDDEN, nothing changes',
      async (_, call) => {
        const before = await aliceRows();
        expectProblem(
          await call(`/api/${alice.id}/lists`, alicesList.id).set(bob.auth),
          403,
          'FORBIDDEN',
        );
        expect(await aliceRows()).toEqual(before);
      },
    );

    it.each(ROUTES.filter(([name]) => !['list', 'create'].includes(name)))(
      '%s of Alice’s list on Bob’s own path: 404 LIST_NOT_FOUND, nothing changes',
      async (_, call) => {
        for (const base of ['/api/me/lists', `/api/${bob.id}/lists`]) {
          const before = await aliceRows();
          expectProblem(await call(base, alicesList.id).set(bob.auth), 404, 'LIST_NOT_FOUND');
          expect(await aliceRows()).toEqual(before);
        }
      },
    );

    it('Bob’s list never shows Alice’s', async () => {
      expect((await lists(bob)).map((list) => list.user_id)).toEqual([bob.id]);
    });

    it('without a token: 401', async () => {
      expectProblem(await t.http().get('/api/me/lists'), 401, 'UNAUTHENTICATED');
    });
  });
});
