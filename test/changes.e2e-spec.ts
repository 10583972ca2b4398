import { setTimeout as sleep } from 'node:timers/promises';
import { registerAdmin } from './support/admin';
import {
  clearCompleted,
  createTask,
  expectProblem,
  Registered,
  registerUser,
} from './support/builders';
import {
  applyChanges,
  type Change,
  changeOf,
  drain,
  expectNoChanges,
  fetchChanges,
  keyOf,
  type Replica,
  replicaDiff,
  requestChanges,
  restState,
  takeSnapshot,
} from './support/changes';
import { insertTasks } from './support/db';
import { describeIsolation } from './support/isolation';
import { runJob } from './support/jobs';
import { cursorOf } from './support/paging';
import {
  type Body,
  completeTask,
  createList,
  defaultList,
  getTask,
  moveList,
  moveTask,
  patchList,
  patchTask,
  putTask,
} from './support/task-model';
import { useTestApp } from './support/test-app';
import { restoreTask, trashTask } from './support/trash';

/** `since` with the character at `at` replaced by another one of the same alphabet. */
function flipped(since: string, at: number): string {
  const i = at < 0 ? since.length + at : at;
  const replacement = since[i] === 'A' ? 'B' : 'A';
  return since.slice(0, i) + replacement + since.slice(i + 1);
}

describe('Change feed: GET /api/{user_id}/changes', () => {
  const t = useTestApp();
  let admin: Registered;
  beforeAll(async () => {
    admin = await registerAdmin(t);
  });

  const getList = async (user: Registered, id: string) =>
    (await t.http().get(`/api/me/lists/${id}`).set(user.auth).expect(200)).body as Body;
  /** The replica equals what the REST routes say (every task, every list, field for field). */
  const expectSameAsServer = async (user: Registered, replica: Replica) =>
    expect(replicaDiff(await restState(t, user), replica)).toEqual([]);
  /** The one change of task `id` is an upsert of what GET one answers now. */
  const expectTaskUpsert = async (user: Registered, changes: Change[], id: string) =>
    expect(changeOf(changes, 'task', id)).toEqual({
      type: 'task',
      id,
      op: 'upsert',
      data: (await getTask(t, user, id)).body,
    });
  const expectDeleteOf = (changes: Change[], type: 'task' | 'list', id: string) =>
    expect(changeOf(changes, type, id)).toEqual({ type, id, op: 'delete', data: null });

  describe('without since: the full snapshot', () => {
    it('a new account: its Inbox as the one upsert, has_more false, a next_since', async () => {
      const user = await registerUser(t);
      const inbox = await defaultList(t, user);
      const answer = await fetchChanges(t, user);
      expect(answer).toEqual({
        changes: [{ type: 'list', id: inbox.id, op: 'upsert', data: inbox }],
        next_since: expect.any(String),
        has_more: false,
      });
    });

    it('every live task and list once, as upserts of their full objects, none of the trash, paged by limit', async () => {
      const user = await registerUser(t);
      const work = await createList(t, user, 'Work');
      await createList(t, user, 'Home');
      const parent = await createTask(t, user, { title: 'Parent', list_id: work.id });
      await createTask(t, user, { title: 'Sub', parent_id: parent.id });
      await createTask(t, user, { title: 'Done', completed: true, tags: ['x'] });
      await createTask(t, user, {
        title: 'Weekly',
        due_date: '2030-01-07T08:00:00.000Z',
        recurrence: 'FREQ=WEEKLY',
      });
      for (let i = 0; i < 4; i++) await createTask(t, user, { title: `Plain ${i}` });
      const trashed = await createTask(t, user, { title: 'Trashed', list_id: work.id });
      const trashedParent = await createTask(t, user, { title: 'Trashed parent' });
      const trashedSub = await createTask(t, user, {
        title: 'Its sub',
        parent_id: trashedParent.id,
      });
      await trashTask(t, user, trashed.id);
      await trashTask(t, user, trashedParent.id);
      const server = await restState(t, user);
      expect(server.size).toBe(3 + 8);

      const snapshot = await takeSnapshot(t, user, { limit: 3 });
      expect(snapshot.answers).toHaveLength(Math.ceil(server.size / 3));
      for (const [i, answer] of snapshot.answers.entries()) {
        const last = i === snapshot.answers.length - 1;
        expect(answer.has_more).toBe(!last);
        expect(answer.changes.length).toBe(last ? server.size - 3 * i : 3);
      }
      // Each object exactly once over all pages.
      const keys = snapshot.answers.flatMap((answer) =>
        answer.changes.map((change) => keyOf(change.type, change.id)),
      );
      expect(new Set(keys).size).toBe(keys.length);
      expect(replicaDiff(server, snapshot.replica)).toEqual([]);
      for (const task of [trashed, trashedParent, trashedSub]) {
        expect(snapshot.replica.has(keyOf('task', task.id))).toBe(false);
      }
      // The data is what GET one answers.
      const one = await getTask(t, user, parent.id);
      expect(snapshot.replica.get(keyOf('task', parent.id))).toEqual(one.body);
      expect(snapshot.replica.get(keyOf('list', work.id))).toEqual(await getList(user, work.id));
      // The same snapshot in one page.
      const whole = await fetchChanges(t, user, { limit: 1000 });
      expect(whole.has_more).toBe(false);
      expect(whole.changes).toHaveLength(server.size);
    });

    it('limit defaults to 500 and goes up to 1000', async () => {
      const user = await registerUser(t);
      await insertTasks(t, user.id, 520);
      const first = await fetchChanges(t, user);
      expect(first.changes).toHaveLength(500);
      expect(first.has_more).toBe(true);
      const rest = await fetchChanges(t, user, { since: first.next_since });
      expect(rest.changes).toHaveLength(521 - 500);
      expect(rest.has_more).toBe(false);
      const whole = await fetchChanges(t, user, { limit: 1000 });
      expect(whole.changes).toHaveLength(521);
      expect(whole.has_more).toBe(false);
    });
  });

  describe('with since: every write shows, in its latest state', () => {
    let user: Registered;
    let inbox: Body;
    let work: Body;
    let replica: Replica;
    let since: string;
    const tasks: Record<string, Body> = {};
    beforeAll(async () => {
      user = await registerUser(t);
      inbox = await defaultList(t, user);
      work = await createList(t, user, 'Work');
      tasks.A = await createTask(t, user, { title: 'A' });
      tasks.B = await createTask(t, user, { title: 'B', list_id: work.id });
      tasks.b1 = await createTask(t, user, { title: 'b1', parent_id: tasks.B.id });
      tasks.b2 = await createTask(t, user, { title: 'b2', parent_id: tasks.B.id });
      tasks.C = await createTask(t, user, { title: 'C', completed: true });
      tasks.R = await createTask(t, user, {
        title: 'Daily',
        due_date: '2030-01-01T09:00:00.000Z',
        recurrence: 'FREQ=DAILY',
      });
      ({ replica, since } = await takeSnapshot(t, user, { limit: 4 }));
    });

    /** Everything since the last poll: applied to the replica, which must then equal the server. */
    async function delta(): Promise<Change[]> {
      const drained = await drain(t, user, since, { replica });
      since = drained.since;
      await expectSameAsServer(user, replica);
      return drained.changes;
    }
    const expectUpsertOf = (changes: Change[], id: string) => expectTaskUpsert(user, changes, id);
    const expectListUpsert = async (changes: Change[], id: string) =>
      expect(changeOf(changes, 'list', id)).toEqual({
        type: 'list',
        id,
        op: 'upsert',
        data: await getList(user, id),
      });

    it('create: the task, and its list (whose counts changed)', async () => {
      tasks.N = await createTask(t, user, { title: 'New', tags: ['fresh'] });
      const changes = await delta();
      await expectUpsertOf(changes, tasks.N.id);
      expect(changeOf(changes, 'task', tasks.N.id).data).toEqual(tasks.N);
      await expectListUpsert(changes, inbox.id);
    });

    it('update (PATCH and PUT)', async () => {
      await patchTask(t, user, tasks.A.id, { title: 'A2' }).expect(200);
      await putTask(t, user, tasks.A.id, { priority: 'high' }).expect(200);
      const changes = await delta();
      await expectUpsertOf(changes, tasks.A.id);
      expect(changeOf(changes, 'task', tasks.A.id).data).toMatchObject({
        title: 'A2',
        priority: 'high',
      });
    });

    it('complete, and the list’s pending_count', async () => {
      await completeTask(t, user, tasks.A.id).expect(200);
      const changes = await delta();
      await expectUpsertOf(changes, tasks.A.id);
      expect(changeOf(changes, 'task', tasks.A.id).data).toMatchObject({ completed: true });
      await expectListUpsert(changes, inbox.id);
    });

    it('a recurring task’s advance', async () => {
      await completeTask(t, user, tasks.R.id, { completed: true }).expect(200);
      const changes = await delta();
      await expectUpsertOf(changes, tasks.R.id);
      expect(changeOf(changes, 'task', tasks.R.id).data).toMatchObject({ completed: false });
      expect(changeOf(changes, 'task', tasks.R.id).data!.due_date).not.toBe(tasks.R.due_date);
    });

    it('a move to another list: the task, its subtasks, both lists', async () => {
      await moveTask(t, user, tasks.B.id, { list_id: inbox.id }).expect(200);
      const changes = await delta();
      for (const id of [tasks.B.id, tasks.b1.id, tasks.b2.id]) {
        await expectUpsertOf(changes, id);
        expect(changeOf(changes, 'task', id).data!.list_id).toBe(inbox.id);
      }
      await expectListUpsert(changes, inbox.id);
      await expectListUpsert(changes, work.id);
    });

    it('a reorder within its siblings', async () => {
      await moveTask(t, user, tasks.b2.id, { before: tasks.b1.id }).expect(200);
      const changes = await delta();
      await expectUpsertOf(changes, tasks.b2.id);
    });

    it('list writes: create, rename, move', async () => {
      const home = await createList(t, user, 'Home');
      let changes = await delta();
      await expectListUpsert(changes, home.id);
      await patchList(t, user, work.id, { name: 'Job' }).expect(200);
      await moveList(t, user, home.id, { before: inbox.id }).expect(200);
      changes = await delta();
      await expectListUpsert(changes, work.id);
      await expectListUpsert(changes, home.id);
    });

    it('trash: the task and its subtasks as deletes (data null)', async () => {
      await trashTask(t, user, tasks.B.id);
      const changes = await delta();
      for (const id of [tasks.B.id, tasks.b1.id, tasks.b2.id]) expectDeleteOf(changes, 'task', id);
      await expectListUpsert(changes, inbox.id);
    });

    it('restore: upserts again, subtasks included', async () => {
      await restoreTask(t, user, tasks.B.id).expect(200);
      const changes = await delta();
      for (const id of [tasks.B.id, tasks.b1.id, tasks.b2.id]) await expectUpsertOf(changes, id);
      await expectListUpsert(changes, inbox.id);
    });

    it('delete for good of a task already seen as trashed: a delete', async () => {
      await trashTask(t, user, tasks.A.id);
      expectDeleteOf(await delta(), 'task', tasks.A.id);
      await t.http().delete(`/api/me/trash/${tasks.A.id}`).set(user.auth).expect(204);
      expectDeleteOf(await delta(), 'task', tasks.A.id);
    });

    it('clear completed and empty the trash: deletes', async () => {
      await clearCompleted(t, user).expect(200);
      let changes = await delta();
      expectDeleteOf(changes, 'task', tasks.C.id);
      await t.http().delete('/api/me/trash').set(user.auth).expect(200);
      changes = await delta();
      expectDeleteOf(changes, 'task', tasks.C.id);
    });

    it('an admin’s delete of the task: a delete', async () => {
      await t
        .http()
        .delete(`/api/admin/users/${user.id}/tasks/${tasks.N.id}`)
        .set(admin.auth)
        .expect(204);
      const changes = await delta();
      expectDeleteOf(changes, 'task', tasks.N.id);
      await expectListUpsert(changes, inbox.id);
    });

    it('list delete: the list and its tasks as deletes; a restore brings the task into the Inbox', async () => {
      const doomed = await createList(t, user, 'Doomed');
      const inDoomed = await createTask(t, user, { title: 'In doomed', list_id: doomed.id });
      const sub = await createTask(t, user, { title: 'Its sub', parent_id: inDoomed.id });
      await delta();
      await t.http().delete(`/api/me/lists/${doomed.id}`).set(user.auth).expect(204);
      let changes = await delta();
      expectDeleteOf(changes, 'list', doomed.id);
      expectDeleteOf(changes, 'task', inDoomed.id);
      expectDeleteOf(changes, 'task', sub.id);
      await restoreTask(t, user, inDoomed.id).expect(200);
      changes = await delta();
      await expectUpsertOf(changes, inDoomed.id);
      await expectUpsertOf(changes, sub.id);
      expect(changeOf(changes, 'task', inDoomed.id).data!.list_id).toBe(inbox.id);
      await expectListUpsert(changes, inbox.id);
    });
  });

  describe('one answer holds each object once, in its latest state', () => {
    let user: Registered;
    let since: string;
    beforeEach(async () => {
      user = await registerUser(t);
      since = (await takeSnapshot(t, user)).since;
    });

    it('several writes to one task between two polls: one upsert, the last state', async () => {
      const task = await createTask(t, user, { title: 'v1' });
      await patchTask(t, user, task.id, { title: 'v2' }).expect(200);
      await completeTask(t, user, task.id).expect(200);
      await patchTask(t, user, task.id, { title: 'v3' }).expect(200);
      const answer = await fetchChanges(t, user, { since });
      await expectTaskUpsert(user, answer.changes, task.id);
      expect(changeOf(answer.changes, 'task', task.id).data).toMatchObject({
        title: 'v3',
        completed: true,
      });
    });

    it('created then trashed between two polls: once, as a delete', async () => {
      const task = await createTask(t, user, { title: 'Short-lived' });
      await trashTask(t, user, task.id);
      expectDeleteOf((await fetchChanges(t, user, { since })).changes, 'task', task.id);
    });

    it('trashed then restored between two polls: once, as an upsert', async () => {
      const task = await createTask(t, user, { title: 'Back again' });
      since = (await drain(t, user, since)).since;
      await trashTask(t, user, task.id);
      await restoreTask(t, user, task.id).expect(200);
      await expectTaskUpsert(user, (await fetchChanges(t, user, { since })).changes, task.id);
    });

    it('a delta longer than limit is paged: has_more, then the rest; applied in order it is exact', async () => {
      const replica = (await takeSnapshot(t, user)).replica;
      for (let i = 0; i < 7; i++) await createTask(t, user, { title: `T${i}` });
      const first = await fetchChanges(t, user, { since, limit: 3 });
      expect(first.changes.length).toBeGreaterThan(0);
      expect(first.changes.length).toBeLessThanOrEqual(3);
      expect(first.has_more).toBe(true);
      const drained = await drain(t, user, first.next_since, { limit: 3 });
      applyChanges(replica, [...first.changes, ...drained.changes]);
      expect(replicaDiff(await restState(t, user), replica)).toEqual([]);
      // 7 tasks and the Inbox, whose counts changed.
      const keys = new Set([...first.changes, ...drained.changes].map((c) => keyOf(c.type, c.id)));
      expect(keys.size).toBe(8);
    });
  });

  describe('a poll with nothing new', () => {
    it('answers no changes, has_more false, and the same next_since, again and again', async () => {
      const user = await registerUser(t);
      await createTask(t, user);
      const { since } = await takeSnapshot(t, user, { limit: 1 });
      for (let i = 0; i < 3; i++) await expectNoChanges(t, user, since);
      // And after one change, the new next_since is quiet again.
      await createTask(t, user);
      const after = await drain(t, user, since);
      expect(after.since).not.toBe(since);
      await expectNoChanges(t, user, after.since);
    });

    it('another user’s writes are not changes of yours', async () => {
      const alice = await registerUser(t);
      const bob = await registerUser(t);
      const { since } = await takeSnapshot(t, bob);
      const task = await createTask(t, alice, { title: 'Alice only' });
      await createList(t, alice, 'Alice’s list');
      await trashTask(t, alice, task.id);
      await expectNoChanges(t, bob, since);
      const bobsSnapshot = await takeSnapshot(t, bob);
      expect([...bobsSnapshot.replica.values()].map((object) => object.user_id)).toEqual([bob.id]);
    });
  });

  it('writes that fail record nothing: the next poll is empty', async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    const inbox = await defaultList(t, user);
    const task = await createTask(t, user, { title: 'Target' });
    const anchor = await createTask(t, user, { title: 'Anchor' });
    await createList(t, user, 'Taken');
    const theirs = await createTask(t, other);
    const postOnce = () =>
      t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .set('Idempotency-Key', `feed-${user.id}`)
        .send({ title: 'Once' })
        .expect(201);
    await postOnce();
    const etag = (await getTask(t, user, task.id)).etag;
    await patchTask(t, user, task.id, { title: 'Moved on' }).expect(200);
    const { since } = await takeSnapshot(t, user);

    const failing = [
      // 412: a stale If-Match, on every conditional write.
      t.http().patch(`/api/me/tasks/${task.id}`).set('If-Match', etag).send({ title: 'Lost' }),
      t.http().put(`/api/me/tasks/${task.id}`).set('If-Match', etag).send({ title: 'Lost' }),
      t.http().delete(`/api/me/tasks/${task.id}`).set('If-Match', etag),
      t.http().patch(`/api/me/tasks/${task.id}/complete`).set('If-Match', etag),
      t
        .http()
        .post(`/api/me/tasks/${task.id}/move`)
        .set('If-Match', etag)
        .send({ before: anchor.id }),
      // 400: invalid bodies and placements.
      t.http().post('/api/me/tasks').send({ title: '' }),
      t.http().patch(`/api/me/tasks/${task.id}`).send({ title: 'ok', priority: 'urgent' }),
      t.http().post(`/api/me/tasks/${task.id}/move`).send({ before: task.id }),
      t.http().post(`/api/me/tasks/${task.id}/move`).send({ parent_id: task.id }),
      t.http().post('/api/me/lists').send({ name: '' }),
      // 404: another user's task; 409: the default list, a taken name.
      t.http().patch(`/api/me/tasks/${theirs.id}`).send({ title: 'Mine now' }),
      t.http().delete(`/api/me/lists/${inbox.id}`),
      t.http().post('/api/me/lists').send({ name: 'taken' }),
      // 403: another user's path.
      t.http().post(`/api/${other.id}/tasks`).send({ title: 'Intruder' }),
    ];
    for (const call of failing) {
      const response = await call.set(user.auth);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    // An idempotent replay returns the first answer and writes nothing.
    const replay = await postOnce();
    expect(replay.headers['idempotent-replayed']).toBe('true');

    await expectNoChanges(t, user, since);
  });

  describe('bad parameters: 400, never a 5xx', () => {
    let user: Registered;
    let since: string;
    beforeAll(async () => {
      user = await registerUser(t);
      await createTask(t, user);
      since = (await takeSnapshot(t, user)).since;
    });

    it.each(['0', '1001', 'abc', '-1', '1.5', '99999999999999999999'])(
      'limit=%s: 400 naming limit',
      async (limit) => {
        for (const query of [{ limit }, { limit, since }]) {
          const response = await requestChanges(t, user, query);
          expectProblem(response, 400, 'VALIDATION_FAILED');
          expect(response.body.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
        }
      },
    );

    it('limit 1 and 1000 are accepted', async () => {
      for (const limit of [1, 1000]) {
        await fetchChanges(t, user, { limit });
        await fetchChanges(t, user, { since, limit });
      }
    });

    it.each([
      ['garbage', () => 'garbage'],
      ['one character flipped (start)', () => flipped(since, 0)],
      ['one character flipped (middle)', () => flipped(since, Math.floor(since.length / 2))],
      ['one character flipped (end)', () => flipped(since, -2)],
      ['truncated', () => since.slice(0, -3)],
      ['with a character more', () => `${since}A`],
      ['a UUID', () => '00000000-0000-4000-8000-000000000000'],
      ['a number', () => '12345'],
      ['a date', () => '2026-01-01T00:00:00.000Z'],
    ])('a malformed or tampered since (%s): 400 naming since', async (_, value) => {
      const response = await requestChanges(t, user, { since: value() });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'since', message: expect.any(String) }]);
    });

    it('since given twice, or an unknown parameter: 400 naming it', async () => {
      const twice = await t
        .http()
        .get(
          `/api/me/changes?since=${encodeURIComponent(since)}&since=${encodeURIComponent(since)}`,
        )
        .set(user.auth);
      expectProblem(twice, 400, 'VALIDATION_FAILED');
      expect(twice.body.errors[0].field).toBe('since');
      const unknown = await t.http().get('/api/me/changes?cursor=x').set(user.auth);
      expectProblem(unknown, 400, 'VALIDATION_FAILED');
      expect(unknown.body.errors[0].field).toBe('cursor');
    });

    it('a paging cursor of GET /tasks is not a since: 400', async () => {
      await createTask(t, user);
      const page = await t.http().get('/api/me/tasks?limit=1').set(user.auth).expect(200);
      const response = await requestChanges(t, user, { since: cursorOf(page.headers) });
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });

    it('another user’s since: 400, while it still works for its owner', async () => {
      const bob = await registerUser(t);
      const bobs = (await takeSnapshot(t, bob)).since;
      const response = await requestChanges(t, user, { since: bobs });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'since', message: expect.any(String) }]);
      await fetchChanges(t, bob, { since: bobs });
      // On the own-id path as on `me`.
      await t
        .http()
        .get(`/api/${bob.id}/changes?since=${encodeURIComponent(bobs)}`)
        .set(bob.auth)
        .expect(200);
    });
  });

  describe('isolation', () => {
    let alice: Registered;
    let bob: Registered;
    let alicesSince: string;
    beforeAll(async () => {
      alice = await registerUser(t);
      bob = await registerUser(t);
      await createTask(t, alice, { title: 'Alice secret' });
      alicesSince = (await takeSnapshot(t, alice)).since;
    });

    describeIsolation({
      t,
      routes: [
        ['snapshot', (t, base) => t.http().get(`${base}/changes`)],
        [
          'delta',
          (t, base) => t.http().get(`${base}/changes?since=${encodeURIComponent(alicesSince)}`),
        ],
      ],
      owner: () => alice,
      intruder: () => bob,
      admin: () => admin,
      targetId: () => alicesSince,
      state: () => fetchChanges(t, alice, { since: alicesSince }),
      notFound: 'TASK_NOT_FOUND',
      secret: 'Alice',
    });
  });

  describe('expiry: since older than CHANGES_RETENTION', () => {
    const RETENTION_MS = 1000;
    const e = useTestApp({ CHANGES_RETENTION: '1s' });

    it('is 410 SYNC_EXPIRED once the purge ran; a new snapshot starts again', async () => {
      const user = await registerUser(e);
      const task = await createTask(e, user, { title: 'Trashed long ago' });
      await createTask(e, user, { title: 'Kept' });
      const old = (await takeSnapshot(e, user)).since;
      await trashTask(e, user, task.id);
      await sleep(RETENTION_MS + 500);
      await runJob(e, 'changes.purge');

      for (const limit of [undefined, 1]) {
        expectProblem(await requestChanges(e, user, { since: old, limit }), 410, 'SYNC_EXPIRED');
      }
      const fresh = await takeSnapshot(e, user);
      expect(fresh.replica.has(keyOf('task', task.id))).toBe(false);
      expect(replicaDiff(await restState(e, user), fresh.replica)).toEqual([]);
      await expectNoChanges(e, user, fresh.since);
    });
  });
});
