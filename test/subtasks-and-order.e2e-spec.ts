import { createTask, expectProblem, Registered, registerUser } from './support/builders';
import { allPages, ids, titles } from './support/paging';
import {
  type Body,
  byteOrder,
  createList,
  defaultList,
  expectFieldError,
  expectStrictlyIncreasing,
  getTask,
  listTasks,
  MISSING_ID,
  moveTask,
  patchTask,
  putTask,
  seededRandom,
} from './support/task-model';
import { useTestApp } from './support/test-app';

describe('Subtasks and manual order', () => {
  const t = useTestApp();

  describe('subtasks', () => {
    let user: Registered;
    let inbox: Body;
    let work: Body;
    beforeAll(async () => {
      user = await registerUser(t);
      inbox = await defaultList(t, user);
      work = await createList(t, user, 'Work');
    });

    /** A parent in Work with two subtasks, created without a list_id. */
    async function family(title: string) {
      const parent = await createTask(t, user, { title, list_id: work.id });
      const first = await createTask(t, user, { title: `${title} / 1`, parent_id: parent.id });
      const second = await createTask(t, user, { title: `${title} / 2`, parent_id: parent.id });
      return { parent, first, second };
    }

    it('a subtask is created in its parent’s list, last among its siblings', async () => {
      const { parent, first, second } = await family('Trip');
      for (const sub of [first, second]) {
        expect(sub).toMatchObject({ parent_id: parent.id, list_id: work.id });
      }
      expectStrictlyIncreasing([first.position, second.position]);
    });

    it('parent_id=<id> lists its subtasks; parent_id=none leaves them out', async () => {
      const { parent, first, second } = await family('Move house');
      const loner = await createTask(t, user, { title: 'Loner', list_id: work.id });
      expect(ids(await listTasks(t, user, `?parent_id=${parent.id}&sort=position`))).toEqual([
        first.id,
        second.id,
      ]);
      const topLevel = ids(
        await listTasks(t, user, `?list_id=${work.id}&parent_id=none&limit=100`),
      );
      expect(topLevel).toEqual(expect.arrayContaining([parent.id, loner.id]));
      expect(topLevel).not.toContain(first.id);
      expect(topLevel).not.toContain(second.id);
      const topLevelResponse = await t
        .http()
        .get(`/api/me/tasks?parent_id=none&limit=100`)
        .set(user.auth)
        .expect(200);
      expect((topLevelResponse.body as Body[]).every((task) => task.parent_id === null)).toBe(true);
      // The list filter alone shows both levels.
      const all = ids(await listTasks(t, user, `?list_id=${work.id}&limit=100`));
      expect(all).toEqual(expect.arrayContaining([parent.id, first.id, second.id, loner.id]));
    });

    it.each([
      [
        'PATCH list_id',
        (id: string, listId: string) => patchTask(t, user, id, { list_id: listId }),
      ],
      ['PUT list_id', (id: string, listId: string) => putTask(t, user, id, { list_id: listId })],
      [
        'move with list_id',
        (id: string, listId: string) => moveTask(t, user, id, { list_id: listId }),
      ],
    ])(
      '%s on a parent moves its subtasks too: their list_id follows and their ETag changes',
      async (_, call) => {
        const { parent, first, second } = await family('Follow me');
        const before = await Promise.all([first, second].map((sub) => getTask(t, user, sub.id)));
        const response = await call(parent.id, inbox.id).expect(200);
        expect(response.body).toMatchObject({ list_id: inbox.id, parent_id: null });
        const after = await Promise.all([first, second].map((sub) => getTask(t, user, sub.id)));
        after.forEach((sub, i) => {
          expect(sub.body).toMatchObject({ list_id: inbox.id, parent_id: parent.id });
          expect(sub.etag).not.toBe(before[i].etag);
        });
        // They keep their order under the parent, and Work holds none of the family any more.
        expect(ids(await listTasks(t, user, `?parent_id=${parent.id}&sort=position`))).toEqual([
          first.id,
          second.id,
        ]);
        const inWork = ids(await listTasks(t, user, `?list_id=${work.id}&limit=100`));
        for (const id of [parent.id, first.id, second.id]) expect(inWork).not.toContain(id);
      },
    );

    it('a subtask cannot change list on its own: 400 on list_id, nothing changed', async () => {
      const { first } = await family('Stay');
      for (const method of ['patch', 'put'] as const) {
        const before = await getTask(t, user, first.id);
        const response = await t
          .http()
          [method](`/api/me/tasks/${first.id}`)
          .set(user.auth)
          .send({ list_id: inbox.id });
        expectFieldError(response, 'list_id');
        expect(await getTask(t, user, first.id)).toEqual(before);
      }
    });

    it('parent_id null makes a subtask top-level; a uuid makes a task a subtask', async () => {
      const { parent, first } = await family('Adopt');
      const freed = await patchTask(t, user, first.id, { parent_id: null }).expect(200);
      expect(freed.body).toMatchObject({ parent_id: null, list_id: work.id });
      expect(
        ids(await listTasks(t, user, `?list_id=${work.id}&parent_id=none&limit=100`)),
      ).toContain(first.id);
      // A task of another list becomes the subtask, and moves into the parent's list.
      const stranger = await createTask(t, user, { title: 'Stranger', list_id: inbox.id });
      const adopted = await patchTask(t, user, stranger.id, { parent_id: parent.id }).expect(200);
      expect(adopted.body).toMatchObject({ parent_id: parent.id, list_id: work.id });
    });

    it('deleting the parent deletes its subtasks', async () => {
      const { parent, first, second } = await family('Doomed');
      await t.http().delete(`/api/me/tasks/${parent.id}`).set(user.auth).expect(204);
      for (const sub of [first, second]) {
        expectProblem(
          await t.http().get(`/api/me/tasks/${sub.id}`).set(user.auth),
          404,
          'TASK_NOT_FOUND',
        );
      }
      const left = ids(await listTasks(t, user, '?limit=100'));
      for (const id of [parent.id, first.id, second.id]) expect(left).not.toContain(id);
    });
  });

  describe('manual order', () => {
    /** A fresh user with tasks titled as given, created in that order in the Inbox. */
    async function withTasks(names: string[]) {
      const user = await registerUser(t);
      const tasks: Record<string, Body> = {};
      for (const name of names) tasks[name] = await createTask(t, user, { title: name });
      return { user, tasks };
    }
    /** The titles of the user's top-level Inbox tasks in manual order (the one page). */
    const order = async (user: Registered, query = '') =>
      titles(
        (await listTasks(t, user, `?sort=position&parent_id=none&limit=100${query}`)) as {
          title: string;
        }[],
      );

    /** The rows come back in strictly increasing byte order of their positions. */
    async function expectStrictOrder(user: Registered, query = '') {
      const rows = await listTasks(t, user, `?sort=position&limit=100${query}`);
      expectStrictlyIncreasing(rows.map((row) => row.position));
      return rows;
    }

    it('new tasks go last; sort=position is ascending by default, order=desc reverses', async () => {
      const { user } = await withTasks(['A', 'B', 'C', 'D']);
      expect(await order(user)).toEqual(['A', 'B', 'C', 'D']);
      expect(await order(user, '&order=desc')).toEqual(['D', 'C', 'B', 'A']);
      await expectStrictOrder(user);
    });

    it('move before, after, and (with neither) last', async () => {
      const { user, tasks } = await withTasks(['A', 'B', 'C', 'D']);
      const before = await getTask(t, user, tasks.D.id);
      const moved = await moveTask(t, user, tasks.D.id, { before: tasks.B.id }).expect(200);
      expect(moved.body.id).toBe(tasks.D.id);
      expect(moved.body.position).not.toBe(tasks.D.position);
      expect((await getTask(t, user, tasks.D.id)).etag).not.toBe(before.etag);
      expect(await order(user)).toEqual(['A', 'D', 'B', 'C']);
      await moveTask(t, user, tasks.A.id, { after: tasks.C.id }).expect(200);
      expect(await order(user)).toEqual(['D', 'B', 'C', 'A']);
      await moveTask(t, user, tasks.B.id, {}).expect(200);
      expect(await order(user)).toEqual(['D', 'C', 'A', 'B']);
      await moveTask(t, user, tasks.D.id, { after: tasks.B.id }).expect(200);
      expect(await order(user)).toEqual(['C', 'A', 'B', 'D']);
      await moveTask(t, user, tasks.D.id, { before: tasks.C.id }).expect(200);
      expect(await order(user)).toEqual(['D', 'C', 'A', 'B']);
      // The answered position is the stored one.
      const rows = await expectStrictOrder(user);
      expect(rows.find((row) => row.id === tasks.D.id)!.position).toBe(
        (await getTask(t, user, tasks.D.id)).body.position,
      );
    });

    it('into another list: last there, or next to an anchor of that list', async () => {
      const { user, tasks } = await withTasks(['A', 'B']);
      const other = await createList(t, user, 'Other');
      const x = await createTask(t, user, { title: 'X', list_id: other.id });
      const y = await createTask(t, user, { title: 'Y', list_id: other.id });
      const moved = await moveTask(t, user, tasks.A.id, { list_id: other.id }).expect(200);
      expect(moved.body).toMatchObject({ list_id: other.id, parent_id: null });
      const inOther = `&list_id=${other.id}`;
      expect(await order(user, inOther)).toEqual(['X', 'Y', 'A']);
      await moveTask(t, user, tasks.B.id, { list_id: other.id, before: y.id }).expect(200);
      expect(await order(user, inOther)).toEqual(['X', 'B', 'Y', 'A']);
      await moveTask(t, user, x.id, { after: tasks.A.id }).expect(200);
      expect(await order(user, inOther)).toEqual(['B', 'Y', 'A', 'X']);
      await expectStrictOrder(user, inOther);
      const inbox = await defaultList(t, user);
      expect(await order(user, `&list_id=${inbox.id}`)).toEqual([]);
    });

    it('under another parent, next to its subtasks, and back to the top level', async () => {
      const { user, tasks } = await withTasks(['P', 'Q', 'R', 'S']);
      const other = await createList(t, user, 'Elsewhere');
      const parent = await createTask(t, user, { title: 'Parent', list_id: other.id });
      const s1 = await createTask(t, user, { title: 's1', parent_id: parent.id });
      const s2 = await createTask(t, user, { title: 's2', parent_id: parent.id });
      const subs = async () =>
        titles(
          (await listTasks(t, user, `?parent_id=${parent.id}&sort=position`)) as {
            title: string;
          }[],
        );
      // Under a parent of another list: the task goes into that list, last among the subtasks.
      const moved = await moveTask(t, user, tasks.P.id, { parent_id: parent.id }).expect(200);
      expect(moved.body).toMatchObject({ parent_id: parent.id, list_id: other.id });
      expect(await subs()).toEqual(['s1', 's2', 'P']);
      await moveTask(t, user, tasks.Q.id, { parent_id: parent.id, after: s1.id }).expect(200);
      expect(await subs()).toEqual(['s1', 'Q', 's2', 'P']);
      await moveTask(t, user, tasks.R.id, {
        list_id: other.id,
        parent_id: parent.id,
        before: s1.id,
      }).expect(200);
      expect(await subs()).toEqual(['R', 's1', 'Q', 's2', 'P']);
      // A subtask moves among its siblings without naming the parent again.
      await moveTask(t, user, s2.id, { before: tasks.R.id }).expect(200);
      expect(await subs()).toEqual(['s2', 'R', 's1', 'Q', 'P']);
      // Back to the top level of its list, next to a top-level task there.
      const back = await moveTask(t, user, tasks.Q.id, {
        parent_id: null,
        before: parent.id,
      }).expect(200);
      expect(back.body).toMatchObject({ parent_id: null, list_id: other.id });
      expect(await order(user, `&list_id=${other.id}`)).toEqual(['Q', 'Parent']);
      expect(await subs()).toEqual(['s2', 'R', 's1', 'P']);
      const inbox = await defaultList(t, user);
      expect(await order(user, `&list_id=${inbox.id}`)).toEqual(['S']);
    });

    describe('anchors must be among the new siblings (400, nothing moved)', () => {
      let user: Registered;
      let tasks: Record<string, Body>;
      let other: Body;
      let inOther: Body;
      let parent: Body;
      let sub: Body;
      let strangers: Body;
      beforeAll(async () => {
        ({ user, tasks } = await withTasks(['A', 'B', 'C']));
        other = await createList(t, user, 'Other');
        inOther = await createTask(t, user, { title: 'In other', list_id: other.id });
        parent = await createTask(t, user, { title: 'Parent' });
        sub = await createTask(t, user, { title: 'Sub', parent_id: parent.id });
        const stranger = await registerUser(t);
        strangers = await createTask(t, stranger, { title: 'Not yours' });
      });

      it.each([
        ['a task of another list', () => ({ before: inOther.id }), 'before'],
        ['a task of another list (after)', () => ({ after: inOther.id }), 'after'],
        [
          'a task of the old list when moving to another',
          () => ({ list_id: other.id, before: tasks.B.id }),
          'before',
        ],
        ['a subtask when staying top-level', () => ({ after: sub.id }), 'after'],
        [
          'a top-level task when moving under a parent',
          () => ({ parent_id: parent.id, before: tasks.B.id }),
          'before',
        ],
        ['the task itself', () => ({ before: tasks.A.id }), 'before'],
        ['the task itself (after)', () => ({ after: tasks.A.id }), 'after'],
        ['both before and after', () => ({ before: tasks.B.id, after: tasks.C.id }), 'after'],
        ['a task that does not exist', () => ({ before: MISSING_ID }), 'before'],
        ['another user’s task', () => ({ after: strangers.id }), 'after'],
        ['a malformed id', () => ({ before: 'first' }), 'before'],
        ['a null anchor', () => ({ after: null }), 'after'],
      ])('%s', async (_, body, field) => {
        const before = await listTasks(t, user, '?sort=position&limit=100');
        const beforeA = await getTask(t, user, tasks.A.id);
        expectFieldError(await moveTask(t, user, tasks.A.id, body()), field);
        expect(await listTasks(t, user, '?sort=position&limit=100')).toEqual(before);
        expect((await getTask(t, user, tasks.A.id)).etag).toBe(beforeA.etag);
      });
    });

    it('concurrent moves into the same gap all succeed and leave a strict order', async () => {
      const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
      const { user, tasks } = await withTasks(names);
      const movers = ['D', 'E', 'F', 'G', 'H'];
      const responses = await Promise.all(
        movers.map((name) => moveTask(t, user, tasks[name].id, { after: tasks.A.id })),
      );
      expect(responses.map((response) => response.status)).toEqual(movers.map(() => 200));
      const positions = responses.map((response) => response.body.position as string);
      expect(new Set(positions).size).toBe(movers.length);
      const rows = await expectStrictOrder(user);
      // A first, then the movers in some order, then B and C; the answered positions are stored.
      const got = titles(rows);
      expect(got[0]).toBe('A');
      expect(got.slice(1, 1 + movers.length).sort()).toEqual(movers);
      expect(got.slice(1 + movers.length)).toEqual(['B', 'C']);
      for (const response of responses) {
        expect(rows.find((row) => row.id === response.body.id)!.position).toBe(
          response.body.position,
        );
      }
      // The same pair twice at once, before the same anchor.
      const again = await Promise.all(
        ['B', 'C'].map((name) => moveTask(t, user, tasks[name].id, { before: tasks.A.id })),
      );
      expect(again.map((response) => response.status)).toEqual([200, 200]);
      const after = titles(await expectStrictOrder(user));
      expect(after.slice(0, 2).sort()).toEqual(['B', 'C']);
      expect(after[2]).toBe('A');
    });

    it('after 20 random moves, paging sort=position by 3 visits each task once, in order', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
      const { user, tasks } = await withTasks(names);
      const random = seededRandom(14);
      const pick = (list: string[]) => list[Math.floor(random() * list.length)];
      // The expected order, kept alongside: every move applied to it as the contract says.
      const model = [...names];
      for (let i = 0; i < 20; i++) {
        const name = pick(model);
        const anchor = pick(model.filter((other) => other !== name));
        const how = pick(['before', 'after', 'last']);
        const body = how === 'last' ? {} : { [how]: tasks[anchor].id };
        await moveTask(t, user, tasks[name].id, body).expect(200);
        model.splice(model.indexOf(name), 1);
        if (how === 'last') model.push(name);
        else model.splice(model.indexOf(anchor) + (how === 'after' ? 1 : 0), 0, name);
      }
      const walk = await allPages(t, user.auth, '/api/me/tasks?sort=position&limit=3');
      expect(walk.pages).toBe(7);
      expect(walk.totals).toEqual(['20']);
      expect(new Set(walk.ids).size).toBe(20);
      expect(titles(walk.rows)).toEqual(model);
      const positions = walk.rows.map((row) => row.position as string);
      expectStrictlyIncreasing(positions);
      expect([...positions].sort(byteOrder)).toEqual(positions);
      // Descending visits the same tasks in reverse.
      const down = await allPages(t, user.auth, '/api/me/tasks?sort=position&order=desc&limit=3');
      expect(titles(down.rows)).toEqual([...model].reverse());
    });

    it('If-Match on move: stale is 412 and nothing moves; the current ETag moves it', async () => {
      const { user, tasks } = await withTasks(['A', 'B', 'C']);
      const stale = (await getTask(t, user, tasks.C.id)).etag;
      await patchTask(t, user, tasks.C.id, { description: 'edited in another tab' }).expect(200);
      const current = await getTask(t, user, tasks.C.id);
      expect(current.etag).not.toBe(stale);
      const refused = await moveTask(t, user, tasks.C.id, { before: tasks.A.id }, stale);
      expectProblem(refused, 412, 'PRECONDITION_FAILED');
      expect(await order(user)).toEqual(['A', 'B', 'C']);
      expect(await getTask(t, user, tasks.C.id)).toEqual(current);
      const moved = await moveTask(t, user, tasks.C.id, { before: tasks.A.id }, current.etag);
      expect(moved.status).toBe(200);
      expect(await order(user)).toEqual(['C', 'A', 'B']);
      // A move is a write: the old ETag is stale now.
      expectProblem(
        await moveTask(t, user, tasks.C.id, {}, current.etag),
        412,
        'PRECONDITION_FAILED',
      );
    });
  });
});
