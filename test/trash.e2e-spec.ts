import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'supertest';
import { registerAdmin } from './support/admin';
import {
  clearCompleted,
  createTask,
  expectProblem,
  Registered,
  registerUser,
  TASK_FIELDS,
  TRASHED_TASK_FIELDS,
  withCompletedTasks,
} from './support/builders';
import { tablesHoldingId } from './support/db';
import { describeIsolation, type NamedRoute } from './support/isolation';
import { runJob } from './support/jobs';
import { allPages, cursorOf, expectEmptyList, ids, tamperedMac, titles } from './support/paging';
import {
  type Body,
  createList,
  defaultList,
  expectFieldError,
  expectStrictlyIncreasing,
  getTask,
  listTasks,
  MISSING_ID,
  moveTask,
  patchTask,
} from './support/task-model';
import { type TestApp, useTestApp } from './support/test-app';
import {
  deleteForGood,
  emptyTrash,
  restoreTask,
  trashIds,
  trashOf,
  trashTask,
} from './support/trash';

/** Every task route that names one task, as a request on `/api/me/tasks`. */
const TASK_ROUTES: [string, (t: TestApp, id: string) => Test][] = [
  ['GET', (t, id) => t.http().get(`/api/me/tasks/${id}`)],
  ['PUT', (t, id) => t.http().put(`/api/me/tasks/${id}`).send({ title: 'Back?' })],
  ['PATCH', (t, id) => t.http().patch(`/api/me/tasks/${id}`).send({ title: 'Back?' })],
  ['DELETE (again)', (t, id) => t.http().delete(`/api/me/tasks/${id}`)],
  ['complete (toggle)', (t, id) => t.http().patch(`/api/me/tasks/${id}/complete`)],
  [
    'complete (set)',
    (t, id) => t.http().patch(`/api/me/tasks/${id}/complete`).send({ completed: true }),
  ],
  ['move (last)', (t, id) => t.http().post(`/api/me/tasks/${id}/move`).send({})],
  [
    'move (to the top level)',
    (t, id) => t.http().post(`/api/me/tasks/${id}/move`).send({ parent_id: null }),
  ],
  ['completions', (t, id) => t.http().get(`/api/me/tasks/${id}/completions`)],
];

/**
 * The fields of a Task that trashing and restoring leave as they were: all but where it stands
 * (a restore may put it elsewhere) and updated_at.
 */
const MOVABLE_FIELDS: readonly string[] = ['list_id', 'parent_id', 'position', 'updated_at'];
const KEPT_FIELDS = TASK_FIELDS.filter((field) => !MOVABLE_FIELDS.includes(field));
const kept = (task: Body) => Object.fromEntries(KEPT_FIELDS.map((field) => [field, task[field]]));

describe('Trash and restore', () => {
  const t = useTestApp();
  let admin: Registered;
  beforeAll(async () => {
    admin = await registerAdmin(t);
  });

  /** The ids of the user's subtasks of `parentId` in manual order. */
  const subtaskIds = async (user: Registered, parentId: string) =>
    ids(await listTasks(t, user, `?parent_id=${parentId}&sort=position&limit=100`));
  /** The ids of the top-level tasks of a list, in manual order. */
  const topLevelIds = async (user: Registered, listId: string) =>
    ids(await listTasks(t, user, `?list_id=${listId}&parent_id=none&sort=position&limit=100`));
  const listBody = async (user: Registered, id: string) =>
    (await t.http().get(`/api/me/lists/${id}`).set(user.auth).expect(200)).body as Body;

  describe('a trashed task is missing from every other route', () => {
    let user: Registered;
    /** In Work: `parent` (trashed, with `sub`), `live` (with `liveSub`, and `aloneSub` trashed
     * alone), and `loner`, a top-level task without subtasks. */
    let parent: Body;
    let sub: Body;
    let live: Body;
    let liveSub: Body;
    let aloneSub: Body;
    let loner: Body;
    let lastEtag: string;
    beforeAll(async () => {
      user = await registerUser(t);
      const work = await createList(t, user, 'Work');
      parent = await createTask(t, user, { title: 'Trashed parent', list_id: work.id });
      sub = await createTask(t, user, { title: 'Trashed with it', parent_id: parent.id });
      live = await createTask(t, user, { title: 'Live', list_id: work.id });
      liveSub = await createTask(t, user, { title: 'Live sub', parent_id: live.id });
      aloneSub = await createTask(t, user, { title: 'Trashed alone', parent_id: live.id });
      loner = await createTask(t, user, { title: 'Loner', list_id: work.id });
      lastEtag = (await getTask(t, user, parent.id)).etag;
      const response = await t.http().delete(`/api/me/tasks/${parent.id}`).set(user.auth);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      await trashTask(t, user, aloneSub.id);
    });

    it.each(TASK_ROUTES)(
      '%s: 404 TASK_NOT_FOUND (the task, its subtask, a subtask trashed alone)',
      async (_, call) => {
        for (const id of [parent.id, sub.id, aloneSub.id]) {
          expectProblem(await call(t, id).set(user.auth), 404, 'TASK_NOT_FOUND');
        }
      },
    );

    it('the 404 is the same as for a task that never existed', async () => {
      const trashed = await t.http().get(`/api/me/tasks/${parent.id}`).set(user.auth);
      const missing = await t.http().get(`/api/me/tasks/${MISSING_ID}`).set(user.auth);
      expect({ ...trashed.body }).toEqual({ ...missing.body });
    });

    it.each([
      ['PUT', (id: string) => t.http().put(`/api/me/tasks/${id}`).send({ title: 'x' })],
      ['PATCH', (id: string) => t.http().patch(`/api/me/tasks/${id}`).send({ title: 'x' })],
      ['DELETE', (id: string) => t.http().delete(`/api/me/tasks/${id}`)],
      ['complete', (id: string) => t.http().patch(`/api/me/tasks/${id}/complete`)],
      ['move', (id: string) => t.http().post(`/api/me/tasks/${id}/move`).send({})],
    ])('%s with If-Match (its last ETag, a stale one, *): 404, never 412', async (_, call) => {
      for (const tag of [lastEtag, '"999"', '*']) {
        expectProblem(
          await call(parent.id).set(user.auth).set('If-Match', tag),
          404,
          'TASK_NOT_FOUND',
        );
      }
    });

    it('GET with If-None-Match of its last ETag: 404, not 304', async () => {
      const response = await t
        .http()
        .get(`/api/me/tasks/${parent.id}`)
        .set(user.auth)
        .set('If-None-Match', lastEtag);
      expectProblem(response, 404, 'TASK_NOT_FOUND');
    });

    // Each of these would succeed if the named task were live.
    it.each([
      [
        'create under it',
        () => t.http().post('/api/me/tasks').send({ title: 'x', parent_id: parent.id }),
        'parent_id',
      ],
      [
        'PATCH under it',
        () => t.http().patch(`/api/me/tasks/${loner.id}`).send({ parent_id: parent.id }),
        'parent_id',
      ],
      [
        'PUT under it',
        () => t.http().put(`/api/me/tasks/${loner.id}`).send({ parent_id: parent.id }),
        'parent_id',
      ],
      ['move under it', () => moveTask(t, user, loner.id, { parent_id: parent.id }), 'parent_id'],
      ['move before it', () => moveTask(t, user, loner.id, { before: parent.id }), 'before'],
      ['move after it', () => moveTask(t, user, loner.id, { after: parent.id }), 'after'],
      [
        'move before a sibling subtask trashed alone',
        () => moveTask(t, user, liveSub.id, { before: aloneSub.id }),
        'before',
      ],
    ])(
      'naming it (%s): 400 on that field, as for a missing task; nothing changed',
      async (_, call, field) => {
        const before = await listTasks(t, user, '?limit=100');
        const response = await call().set(user.auth);
        expectFieldError(response, field);
        expect(await listTasks(t, user, '?limit=100')).toEqual(before);
      },
    );

    it('the list shows only the live tasks; the parent_id filter of a trashed parent is empty', async () => {
      expect(ids(await listTasks(t, user, '?limit=100')).sort()).toEqual(
        [live.id, liveSub.id, loner.id].sort(),
      );
      expect(await listTasks(t, user, `?parent_id=${parent.id}`)).toEqual([]);
      expect(ids(await listTasks(t, user, `?parent_id=${live.id}`))).toEqual([liveSub.id]);
    });
  });

  describe('absent from every filter, count and admin view', () => {
    let user: Registered;
    let list: Body;
    /** Live: K (pending, with the subtask ks), K2 (completed). Trashed: G (with gs), G2. */
    const live: Record<string, Body> = {};
    const gone: Record<string, Body> = {};
    const same = {
      priority: 'high',
      tags: ['shared'],
      due_date: '2031-01-01T00:00:00.000Z',
      description: 'haystack',
    };
    beforeAll(async () => {
      user = await registerUser(t);
      list = await createList(t, user, 'Filtered');
      const make = (title: string, fields: Record<string, unknown> = {}) =>
        createTask(t, user, { title, list_id: list.id, ...same, ...fields });
      live.K = await make('needle K');
      live.ks = await createTask(t, user, { title: 'needle ks', ...same, parent_id: live.K.id });
      live.K2 = await make('needle K2', { completed: true });
      gone.G = await make('needle G');
      gone.gs = await createTask(t, user, { title: 'needle gs', ...same, parent_id: gone.G.id });
      gone.G2 = await make('needle G2', { completed: true });
      await trashTask(t, user, gone.G.id);
      await trashTask(t, user, gone.G2.id);
    });

    const ALL = ['K', 'ks', 'K2'];
    it.each([
      ['', ALL],
      ['?status=all', ALL],
      ['?status=pending', ['K', 'ks']],
      ['?status=completed', ['K2']],
      ['?q=needle', ALL],
      ['?q=HAYSTACK', ALL],
      ['?priority=high', ALL],
      ['?tag=shared', ALL],
      ['?due_before=2031-06-01T00:00:00Z', ALL],
      ['?due_after=2030-06-01T00:00:00Z', ALL],
      ['?list_id=<list>', ALL],
      ['?parent_id=none', ['K', 'K2']],
      ['?parent_id=<K>', ['ks']],
      ['?parent_id=<G>', []],
      ['?sort=title&order=asc', ALL],
      ['?sort=updated', ALL],
      ['?sort=due_date', ALL],
      ['?sort=priority', ALL],
      ['?sort=position', ALL],
      ['?status=pending&tag=shared&list_id=<list>&parent_id=none&q=needle', ['K']],
    ])('GET /tasks%s: only the live tasks, counted by X-Total-Count', async (query, names) => {
      const url = `/api/me/tasks${query
        .replace('<list>', list.id)
        .replace('<K>', live.K.id)
        .replace('<G>', gone.G.id)}`;
      const response = await t
        .http()
        .get(url + (url.includes('?') ? '&' : '?') + 'limit=100')
        .set(user.auth)
        .expect(200);
      expect(ids(response.body).sort()).toEqual(names.map((name) => live[name].id).sort());
      expect(response.headers['x-total-count']).toBe(String(names.length));
    });

    it('paging one by one visits the live tasks only, each once', async () => {
      const walk = await allPages(t, user.auth, '/api/me/tasks?limit=1&sort=title&order=asc');
      expect(titles(walk.rows)).toEqual(['needle K', 'needle K2', 'needle ks']);
      expect(walk.totals).toEqual(['3']);
    });

    it('the list’s task_count and pending_count leave the trash out', async () => {
      expect(await listBody(user, list.id)).toMatchObject({ task_count: 3, pending_count: 2 });
      const lists = (await t.http().get('/api/me/lists').set(user.auth).expect(200)).body as Body[];
      expect(lists.find((one) => one.id === list.id)).toMatchObject({
        task_count: 3,
        pending_count: 2,
      });
    });

    it('the admin’s task lists and the user’s task_count leave the trash out', async () => {
      const liveIds = ALL.map((name) => live[name].id).sort();
      for (const url of [
        `/api/admin/users/${user.id}/tasks?limit=100`,
        `/api/admin/tasks?user_id=${user.id}&limit=100`,
      ]) {
        const response = await t.http().get(url).set(admin.auth).expect(200);
        expect(ids(response.body).sort()).toEqual(liveIds);
        expect(response.headers['x-total-count']).toBe('3');
      }
      const everyone = await allPages(t, admin.auth, '/api/admin/tasks?limit=100');
      for (const task of Object.values(gone)) expect(everyone.ids).not.toContain(task.id);
      const filtered = await t
        .http()
        .get(`/api/admin/tasks?user_id=${user.id}&q=needle&status=completed`)
        .set(admin.auth)
        .expect(200);
      expect(ids(filtered.body)).toEqual([live.K2.id]);
      const adminUser = await t
        .http()
        .get(`/api/admin/users/${user.id}`)
        .set(admin.auth)
        .expect(200);
      expect(adminUser.body.task_count).toBe(3);
      const users = await allPages(
        t,
        admin.auth,
        `/api/admin/users?q=${encodeURIComponent(user.email)}`,
      );
      expect(users.rows.map((row) => row.task_count)).toEqual([3]);
    });

    it('trashing takes a task out of /api/admin/stats (total, pending, overdue)', async () => {
      const stats = async () =>
        (await t.http().get('/api/admin/stats').set(admin.auth).expect(200)).body.tasks;
      const overdue = await createTask(t, user, { title: 'overdue', due_date: '2020-01-01' });
      const done = await createTask(t, user, { title: 'done', completed: true });
      const before = await stats();
      await trashTask(t, user, overdue.id);
      await trashTask(t, user, done.id);
      expect(await stats()).toEqual({
        total: before.total - 2,
        completed: before.completed - 1,
        pending: before.pending - 1,
        overdue: before.overdue - 1,
      });
    });

    it('restoring puts a task back into the counts, the stats and the admin’s lists', async () => {
      const stats = async () =>
        (await t.http().get('/api/admin/stats').set(admin.auth).expect(200)).body.tasks;
      const before = await stats();
      await restoreTask(t, user, gone.G2.id).expect(200);
      expect(await stats()).toEqual({
        ...before,
        total: before.total + 1,
        completed: before.completed + 1,
      });
      expect(await listBody(user, list.id)).toMatchObject({ task_count: 4, pending_count: 2 });
      const adminList = await t
        .http()
        .get(`/api/admin/users/${user.id}/tasks?limit=100`)
        .set(admin.auth)
        .expect(200);
      expect(ids(adminList.body)).toContain(gone.G2.id);
      expect(adminList.headers['x-total-count']).toBe('4');
      await trashTask(t, user, gone.G2.id);
    });
  });

  it('DELETE of a parent trashes its subtasks with it', async () => {
    const user = await registerUser(t);
    const parent = await createTask(t, user, { title: 'Parent' });
    const subs = [
      await createTask(t, user, { title: 'Sub 1', parent_id: parent.id }),
      await createTask(t, user, { title: 'Sub 2', parent_id: parent.id }),
    ];
    const other = await createTask(t, user, { title: 'Other' });
    await trashTask(t, user, parent.id);
    for (const task of [parent, ...subs]) {
      expectProblem(
        await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth),
        404,
        'TASK_NOT_FOUND',
      );
    }
    expect(ids(await listTasks(t, user))).toEqual([other.id]);
    // Still stored: a trashed task is kept until it is deleted for good.
    for (const task of [parent, ...subs]) expect(await tablesHoldingId(t, task.id)).not.toEqual([]);
  });

  describe('GET /api/{user_id}/trash', () => {
    it('a new account’s trash is empty, X-Total-Count 0', async () => {
      const user = await registerUser(t);
      await expectEmptyList(t, user.auth, '/api/me/trash');
    });

    it('TrashedTask: the task as it was plus deleted_at, most recently deleted first', async () => {
      const user = await registerUser(t);
      const work = await createList(t, user, 'Work');
      const a = await createTask(t, user, { title: 'A', tags: ['x'], priority: 'low' });
      const b = await createTask(t, user, { title: 'B', list_id: work.id, due_date: '2030-01-01' });
      const c = await createTask(t, user, { title: 'C', completed: true });
      const deletedAt: Record<string, [number, number]> = {};
      for (const task of [b, a, c]) {
        const before = Date.now();
        await trashTask(t, user, task.id);
        deletedAt[task.id] = [before, Date.now()];
      }
      const response = await t.http().get('/api/me/trash').set(user.auth).expect(200);
      expect(response.headers['x-total-count']).toBe('3');
      expect(ids(response.body)).toEqual([c.id, a.id, b.id]);
      for (const [i, task] of [c, a, b].entries()) {
        const row = response.body[i] as Body;
        expect(Object.keys(row).sort()).toEqual([...TRASHED_TASK_FIELDS].sort());
        expect(kept(row)).toEqual(kept(task));
        expect(row).toMatchObject({
          list_id: task.list_id,
          parent_id: null,
          position: task.position,
        });
        expect(row.deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const at = new Date(row.deleted_at).getTime();
        const [from, to] = deletedAt[task.id];
        expect(at).toBeGreaterThanOrEqual(from - 1000);
        expect(at).toBeLessThanOrEqual(to + 1000);
      }
      const times = (response.body as Body[]).map((row) => new Date(row.deleted_at).getTime());
      expect([...times].sort((x, y) => y - x)).toEqual(times);
    });

    it('lists the subtasks deleted with their parent, with their parent_id', async () => {
      const user = await registerUser(t);
      const parent = await createTask(t, user, { title: 'P' });
      const s1 = await createTask(t, user, { title: 's1', parent_id: parent.id });
      const s2 = await createTask(t, user, { title: 's2', parent_id: parent.id });
      await trashTask(t, user, parent.id);
      const trash = await trashOf(t, user);
      expect(ids(trash).sort()).toEqual([parent.id, s1.id, s2.id].sort());
      for (const sub of [s1, s2]) {
        expect(trash.find((row) => row.id === sub.id)).toMatchObject({ parent_id: parent.id });
      }
    });

    it('pages with X-Total-Count and Link: every trashed task once, in order', async () => {
      const user = await registerUser(t);
      const trashed: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const task = await createTask(t, user, { title: `T${i}` });
        await trashTask(t, user, task.id);
        trashed.unshift(task.id);
      }
      await createTask(t, user, { title: 'Live' });
      const walk = await allPages(t, user.auth, '/api/me/trash?limit=2');
      expect(walk.pages).toBe(3);
      expect(walk.totals).toEqual(['5']);
      expect(walk.ids).toEqual(trashed);
    });

    it.each(['0', '101', 'abc', '-1'])('limit=%s is 400 naming limit', async (limit) => {
      const user = await registerUser(t);
      const response = await t.http().get(`/api/me/trash?limit=${limit}`).set(user.auth);
      expectFieldError(response, 'limit');
    });

    it('a tampered cursor is 400', async () => {
      const user = await registerUser(t);
      for (let i = 0; i < 3; i++) await trashTask(t, user, (await createTask(t, user)).id);
      const first = await t.http().get('/api/me/trash?limit=1').set(user.auth).expect(200);
      const flipped = tamperedMac(cursorOf(first.headers));
      const response = await t
        .http()
        .get(`/api/me/trash?limit=1&cursor=${encodeURIComponent(flipped)}`)
        .set(user.auth);
      expectFieldError(response, 'cursor');
    });
  });

  describe('POST /api/{user_id}/trash/{id}/restore', () => {
    it('brings the task back into its list, last among its siblings, the same task', async () => {
      const user = await registerUser(t);
      const work = await createList(t, user, 'Work');
      const [a, b, c] = [
        await createTask(t, user, { title: 'A', list_id: work.id }),
        await createTask(t, user, {
          title: 'B',
          list_id: work.id,
          tags: ['keep'],
          priority: 'high',
        }),
        await createTask(t, user, { title: 'C', list_id: work.id }),
      ];
      await trashTask(t, user, b.id);
      const d = await createTask(t, user, { title: 'D', list_id: work.id });
      expect(await listBody(user, work.id)).toMatchObject({ task_count: 3 });

      const restored = await restoreTask(t, user, b.id).expect(200);
      expect(Object.keys(restored.body).sort()).toEqual([...TASK_FIELDS].sort());
      expect(kept(restored.body)).toEqual(kept(b));
      expect(restored.body).toMatchObject({ list_id: work.id, parent_id: null });
      expect(await topLevelIds(user, work.id)).toEqual([a.id, c.id, d.id, b.id]);
      expectStrictlyIncreasing([d.position, restored.body.position]);
      // It is an ordinary task again: GET, the list, the counts, every route.
      const got = await getTask(t, user, b.id);
      expect(got.body).toEqual(restored.body);
      expect(await listBody(user, work.id)).toMatchObject({ task_count: 4, pending_count: 4 });
      expect(await trashIds(t, user)).toEqual([]);
      await patchTask(t, user, b.id, { title: 'B again' }, got.etag).expect(200);
    });

    it('brings back the subtasks deleted with it, in their order; one trashed before stays', async () => {
      const user = await registerUser(t);
      const parent = await createTask(t, user, { title: 'P' });
      const subs: Body[] = [];
      for (const title of ['s1', 's2', 's3', 's4']) {
        subs.push(await createTask(t, user, { title, parent_id: parent.id }));
      }
      // A manual order that is not the creation order: s3, s1, s4, s2.
      await moveTask(t, user, subs[2].id, { before: subs[0].id }).expect(200);
      await moveTask(t, user, subs[1].id, {}).expect(200);
      await trashTask(t, user, subs[3].id); // alone, before the parent
      await trashTask(t, user, parent.id);
      expect((await trashIds(t, user)).sort()).toEqual(
        [parent.id, ...subs.map((s) => s.id)].sort(),
      );

      const restored = await restoreTask(t, user, parent.id).expect(200);
      expect(restored.body).toMatchObject({ id: parent.id, parent_id: null });
      expect(await subtaskIds(user, parent.id)).toEqual([subs[2].id, subs[0].id, subs[1].id]);
      for (const sub of [subs[2], subs[0], subs[1]]) {
        expect((await getTask(t, user, sub.id)).body).toMatchObject({
          parent_id: parent.id,
          list_id: parent.list_id,
        });
      }
      // s4 was deleted on its own, earlier: it is still in the trash.
      expect(await trashIds(t, user)).toEqual([subs[3].id]);
      expectProblem(
        await t.http().get(`/api/me/tasks/${subs[3].id}`).set(user.auth),
        404,
        'TASK_NOT_FOUND',
      );
    });

    it('a subtask trashed alone comes back under its live parent, last among its subtasks', async () => {
      const user = await registerUser(t);
      const parent = await createTask(t, user, { title: 'P' });
      const subs: Body[] = [];
      for (const title of ['s1', 's2', 's3']) {
        subs.push(await createTask(t, user, { title, parent_id: parent.id }));
      }
      await trashTask(t, user, subs[0].id);
      const s4 = await createTask(t, user, { title: 's4', parent_id: parent.id });
      const restored = await restoreTask(t, user, subs[0].id).expect(200);
      expect(restored.body).toMatchObject({ parent_id: parent.id, list_id: parent.list_id });
      expect(await subtaskIds(user, parent.id)).toEqual([
        subs[1].id,
        subs[2].id,
        s4.id,
        subs[0].id,
      ]);
    });

    it('a subtask whose parent is still in the trash comes back top-level, in that list, last', async () => {
      const user = await registerUser(t);
      const work = await createList(t, user, 'Work');
      const parent = await createTask(t, user, { title: 'P', list_id: work.id });
      const s1 = await createTask(t, user, { title: 's1', parent_id: parent.id });
      const s2 = await createTask(t, user, { title: 's2', parent_id: parent.id });
      const other = await createTask(t, user, { title: 'Other', list_id: work.id });
      await trashTask(t, user, parent.id);

      const restored = await restoreTask(t, user, s1.id).expect(200);
      expect(restored.body).toMatchObject({ id: s1.id, parent_id: null, list_id: work.id });
      expect(await topLevelIds(user, work.id)).toEqual([other.id, s1.id]);
      expect((await trashIds(t, user)).sort()).toEqual([parent.id, s2.id].sort());

      // The parent, restored later, comes back with the subtask still in the trash only.
      await restoreTask(t, user, parent.id).expect(200);
      expect(await subtaskIds(user, parent.id)).toEqual([s2.id]);
      expect((await getTask(t, user, s1.id)).body.parent_id).toBeNull();
      expect(await topLevelIds(user, work.id)).toEqual([other.id, s1.id, parent.id]);
      expect(await trashIds(t, user)).toEqual([]);
    });

    it('into the default list, last there, when its list was deleted; subtasks follow', async () => {
      const user = await registerUser(t);
      const inbox = await defaultList(t, user);
      const doomed = await createList(t, user, 'Doomed');
      const inInbox = await createTask(t, user, { title: 'Already in the Inbox' });
      const parent = await createTask(t, user, { title: 'P', list_id: doomed.id });
      const sub = await createTask(t, user, { title: 's', parent_id: parent.id });
      await trashTask(t, user, parent.id);
      await t.http().delete(`/api/me/lists/${doomed.id}`).set(user.auth).expect(204);

      const restored = await restoreTask(t, user, parent.id).expect(200);
      expect(restored.body).toMatchObject({ list_id: inbox.id, parent_id: null });
      expect((await getTask(t, user, sub.id)).body).toMatchObject({
        list_id: inbox.id,
        parent_id: parent.id,
      });
      expect(await topLevelIds(user, inbox.id)).toEqual([inInbox.id, parent.id]);
      expect(await listBody(user, inbox.id)).toMatchObject({ task_count: 3, pending_count: 3 });
    });

    it('404 TASK_NOT_FOUND when not in your trash: restored already, live, missing', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      await trashTask(t, user, task.id);
      await restoreTask(t, user, task.id).expect(200);
      const before = await getTask(t, user, task.id);
      for (const id of [task.id, MISSING_ID]) {
        expectProblem(await restoreTask(t, user, id), 404, 'TASK_NOT_FOUND');
      }
      expect(await getTask(t, user, task.id)).toEqual(before);
    });
  });

  describe('deleted for good', () => {
    it('DELETE /trash/{id}: 204, gone from the trash and the database, its subtasks too', async () => {
      const user = await registerUser(t);
      const parent = await createTask(t, user, { title: 'P' });
      const sub = await createTask(t, user, { title: 's', parent_id: parent.id });
      const other = await createTask(t, user, { title: 'Other trashed' });
      await trashTask(t, user, parent.id);
      await trashTask(t, user, other.id);
      const response = await deleteForGood(t, user, parent.id).expect(204);
      expect(response.text).toBe('');
      expect(await trashIds(t, user)).toEqual([other.id]);
      for (const id of [parent.id, sub.id]) {
        expect(await tablesHoldingId(t, id)).toEqual([]);
        expectProblem(await restoreTask(t, user, id), 404, 'TASK_NOT_FOUND');
        expectProblem(await deleteForGood(t, user, id), 404, 'TASK_NOT_FOUND');
      }
    });

    it('a live task is not in the trash: DELETE /trash/{id} is 404 and it stays', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      const before = await getTask(t, user, task.id);
      expectProblem(await deleteForGood(t, user, task.id), 404, 'TASK_NOT_FOUND');
      expectProblem(await deleteForGood(t, user, MISSING_ID), 404, 'TASK_NOT_FOUND');
      expect(await getTask(t, user, task.id)).toEqual(before);
    });

    it('DELETE /trash empties it: {deleted: N}; live tasks and others’ trash stay', async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const parent = await createTask(t, user, { title: 'P' });
      await createTask(t, user, { title: 's', parent_id: parent.id });
      const single = await createTask(t, user, { title: 'Single' });
      const live = await createTask(t, user, { title: 'Live' });
      const theirs = await createTask(t, other, { title: 'Theirs' });
      await trashTask(t, user, parent.id);
      await trashTask(t, user, single.id);
      await trashTask(t, other, theirs.id);
      const held = await trashIds(t, user);
      expect(held).toHaveLength(3);

      const response = await emptyTrash(t, user).expect(200);
      expect(response.body).toEqual({ deleted: held.length });
      expect(await trashIds(t, user)).toEqual([]);
      for (const id of held) expect(await tablesHoldingId(t, id)).toEqual([]);
      expect(ids(await listTasks(t, user))).toEqual([live.id]);
      expect(await trashIds(t, other)).toEqual([theirs.id]);
      expect((await emptyTrash(t, user, `/api/${user.id}`).expect(200)).body).toEqual({
        deleted: 0,
      });
    });
  });

  describe('what else sends tasks to the trash', () => {
    it('clear completed: {deleted: N}, and they are in the trash, restorable as they were', async () => {
      const { owner, other, kept: pending, theirs } = await withCompletedTasks(t);
      const done = await listTasks(t, owner, '?status=completed');
      expect(done).toHaveLength(2);
      const response = await clearCompleted(t, owner).expect(200);
      expect(response.body).toEqual({ deleted: 2 });
      expect(ids(await listTasks(t, owner))).toEqual([pending.id]);
      expect((await trashIds(t, owner)).sort()).toEqual(ids(done).sort());
      expect(await trashIds(t, other)).toEqual([]);
      await t.http().get(`/api/me/tasks/${theirs.id}`).set(other.auth).expect(200);

      const restored = await restoreTask(t, owner, done[0].id).expect(200);
      expect(kept(restored.body)).toEqual(kept(done[0]));
      expect(restored.body.completed).toBe(true);
    });

    it('deleting a list sends its tasks and their subtasks to the trash', async () => {
      const user = await registerUser(t);
      const doomed = await createList(t, user, 'Doomed');
      const keptTask = await createTask(t, user, { title: 'Kept' });
      const parent = await createTask(t, user, { title: 'Goes', list_id: doomed.id });
      const sub = await createTask(t, user, { title: 'Goes too', parent_id: parent.id });
      const done = await createTask(t, user, {
        title: 'Goes, done',
        list_id: doomed.id,
        completed: true,
      });
      await t.http().delete(`/api/me/lists/${doomed.id}`).set(user.auth).expect(204);
      expect(ids(await listTasks(t, user))).toEqual([keptTask.id]);
      const trash = await trashOf(t, user);
      expect(ids(trash).sort()).toEqual([parent.id, sub.id, done.id].sort());
      for (const row of trash) expect(row.deleted_at).toEqual(expect.any(String));
      // Each comes back into the default list.
      const inbox = await defaultList(t, user);
      for (const task of [parent, done]) {
        expect((await restoreTask(t, user, task.id).expect(200)).body.list_id).toBe(inbox.id);
      }
      expect((await getTask(t, user, sub.id)).body).toMatchObject({
        parent_id: parent.id,
        list_id: inbox.id,
      });
    });

    it('an admin’s delete is for good: not in the owner’s trash, not stored, nor its subtasks', async () => {
      const user = await registerUser(t);
      const parent = await createTask(t, user, { title: 'Removed by the admin' });
      const sub = await createTask(t, user, { title: 'And its subtask', parent_id: parent.id });
      await t
        .http()
        .delete(`/api/admin/users/${user.id}/tasks/${parent.id}`)
        .set(admin.auth)
        .expect(204);
      expect(await trashIds(t, user)).toEqual([]);
      for (const id of [parent.id, sub.id]) {
        expect(await tablesHoldingId(t, id)).toEqual([]);
        expectProblem(await restoreTask(t, user, id), 404, 'TASK_NOT_FOUND');
      }
    });

    it('an admin does not reach a trashed task either: 404, and it stays in the trash', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user, { title: 'In the trash' });
      await trashTask(t, user, task.id);
      expectProblem(
        await t.http().delete(`/api/admin/users/${user.id}/tasks/${task.id}`).set(admin.auth),
        404,
        'TASK_NOT_FOUND',
      );
      expect(await trashIds(t, user)).toEqual([task.id]);
    });

    it('deleting a user (admin) deletes its trash too', async () => {
      const user = await registerUser(t);
      const task = await createTask(t, user);
      const sub = await createTask(t, user, { parent_id: task.id });
      await trashTask(t, user, task.id);
      await t.http().delete(`/api/admin/users/${user.id}`).set(admin.auth).expect(204);
      for (const id of [task.id, sub.id]) expect(await tablesHoldingId(t, id)).toEqual([]);
    });
  });

  describe('isolation of the trash routes', () => {
    let alice: Registered;
    let bob: Registered;
    let alicesTrashed: Body;
    beforeAll(async () => {
      alice = await registerUser(t);
      bob = await registerUser(t);
      await createTask(t, alice, { title: 'Alice live' });
      alicesTrashed = await createTask(t, alice, { title: 'Alice secret trashed' });
      await trashTask(t, alice, alicesTrashed.id);
      // Bob has a trash of his own.
      await trashTask(t, bob, (await createTask(t, bob, { title: 'Bob trashed' })).id);
    });

    const ROUTES: NamedRoute[] = [
      ['list the trash', (t, base) => t.http().get(`${base}/trash`)],
      ['restore', (t, base, id) => t.http().post(`${base}/trash/${id}/restore`)],
      ['delete for good', (t, base, id) => t.http().delete(`${base}/trash/${id}`)],
      ['empty the trash', (t, base) => t.http().delete(`${base}/trash`)],
    ];

    describeIsolation({
      t,
      routes: ROUTES,
      byId: ['restore', 'delete for good'],
      owner: () => alice,
      intruder: () => bob,
      admin: () => admin,
      targetId: () => alicesTrashed.id,
      state: async () => ({
        trash: await trashOf(t, alice),
        tasks: await listTasks(t, alice, '?limit=100'),
      }),
      notFound: 'TASK_NOT_FOUND',
      secret: 'Alice',
    });

    it('Bob’s trash never shows Alice’s; emptying his leaves hers', async () => {
      const before = await trashOf(t, alice);
      expect((await trashOf(t, bob)).map((row) => row.user_id)).toEqual([bob.id]);
      const bobs = await trashIds(t, bob);
      expect((await emptyTrash(t, bob).expect(200)).body).toEqual({ deleted: bobs.length });
      expect(await trashOf(t, alice)).toEqual(before);
    });
  });

  describe('the purge after TRASH_RETENTION (a background job)', () => {
    const RETENTION_MS = 2000;
    const p = useTestApp({ TRASH_RETENTION: '2s' });

    it('deletes for good what was trashed longer ago, for every user; younger trash stays', async () => {
      const user = await registerUser(p);
      const other = await registerUser(p);
      const oldParent = await createTask(p, user, { title: 'Old' });
      const oldSub = await createTask(p, user, { title: 'Old sub', parent_id: oldParent.id });
      const othersOld = await createTask(p, other, { title: 'Other old' });
      const again = await createTask(p, user, { title: 'Trashed, restored, trashed again' });
      const live = await createTask(p, user, { title: 'Live' });
      for (const [who, task] of [
        [user, oldParent],
        [other, othersOld],
        [user, again],
      ] as const) {
        await trashTask(p, who, task.id);
      }
      await sleep(RETENTION_MS + 300);
      // Younger than the retention when the job runs.
      const young = await createTask(p, user, { title: 'Young' });
      await trashTask(p, user, young.id);
      await restoreTask(p, user, again.id).expect(200);
      await trashTask(p, user, again.id);

      await runJob(p, 'trash.purge');

      expect((await trashIds(p, user)).sort()).toEqual([young.id, again.id].sort());
      expect(await trashIds(p, other)).toEqual([]);
      for (const id of [oldParent.id, oldSub.id, othersOld.id]) {
        expect(await tablesHoldingId(p, id)).toEqual([]);
      }
      expectProblem(await restoreTask(p, user, oldParent.id), 404, 'TASK_NOT_FOUND');
      await restoreTask(p, user, young.id).expect(200);
      expect(ids(await listTasks(p, user)).sort()).toEqual([live.id, young.id].sort());
    });
  });
});
