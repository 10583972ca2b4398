import {
  clearCompleted,
  createTask,
  expectProblem,
  registerUser,
  type Registered,
  withCompletedTasks,
} from './support/builders';
import { insertTasks, taskCount } from './support/db';
import {
  allPages,
  cursorOf,
  expectNextLinkKeeps,
  ids,
  tamperedMac,
  titles,
} from './support/paging';
import { patchTask } from './support/task-model';
import { useTestApp } from './support/test-app';

describe('Task lists: filters, sorting, keyset paging', () => {
  const t = useTestApp();
  let user: Registered;
  let tasks: Record<string, any>[];
  beforeAll(async () => {
    user = await registerUser(t);
    const fields: Record<string, unknown>[] = [
      { title: 'alpha report', priority: 'high', tags: ['work'], due_date: '2026-12-03' },
      { title: 'Bravo 100% done', priority: 'low', tags: ['home'], completed: true },
      {
        title: 'charlie',
        description: 'under_score here',
        priority: 'medium',
        due_date: '2026-12-01',
      },
      { title: 'Delta', priority: 'high', tags: ['work', 'q4'], due_date: '2026-12-10' },
      { title: 'echo', description: 'mentions REPORT', priority: 'low', completed: true },
      { title: 'foxtrot', priority: 'medium', tags: ['work'], due_date: '2026-12-03' },
      { title: 'Golf', priority: 'high' },
    ];
    tasks = [];
    for (const f of fields) tasks.push(await createTask(t, user, f));
    // Another user's tasks never show up.
    const other = await registerUser(t);
    await createTask(t, other, { title: 'alpha of someone else', tags: ['work'] });
  });

  const list = (query: string) => t.http().get(`/api/me/tasks${query}`).set(user.auth);

  describe('filters', () => {
    it.each([
      ['?status=pending', ['Golf', 'foxtrot', 'Delta', 'charlie', 'alpha report']],
      ['?status=completed', ['echo', 'Bravo 100% done']],
      ['?q=REPORT', ['echo', 'alpha report']],
      ['?q=100%25', ['Bravo 100% done']],
      ['?q=%25', ['Bravo 100% done']],
      ['?q=_', ['charlie']],
      ['?q=ch_rlie', []],
      ['?priority=high', ['Golf', 'Delta', 'alpha report']],
      ['?tag=WORK', ['foxtrot', 'Delta', 'alpha report']],
      ['?tag=q4', ['Delta']],
      ['?due_before=2026-12-03', ['charlie']],
      ['?due_after=2026-12-03', ['foxtrot', 'Delta', 'alpha report']],
      ['?due_after=2026-12-02&due_before=2026-12-04T00:00:00Z', ['foxtrot', 'alpha report']],
      [
        '?status=pending&priority=high&tag=work&due_before=2026-12-08&sort=due_date&order=asc',
        ['alpha report'],
      ],
      ['?q=', ['Golf', 'foxtrot', 'echo', 'Delta', 'charlie', 'Bravo 100% done', 'alpha report']],
    ])('%s', async (query, expected) => {
      const response = await list(query).expect(200);
      expect(titles(response.body)).toEqual(expected);
      expect(response.headers['x-total-count']).toBe(String(expected.length));
      expect(response.headers.link).toBeUndefined();
    });
  });

  describe('q: a substring, whatever the words around it', () => {
    let searcher: Registered;
    beforeAll(async () => {
      searcher = await registerUser(t);
      for (const title of ['lorem ipsum lorem ipsum', 'Ärger im Büro', 'tab\tand  two spaces'])
        await createTask(t, searcher, { title, tags: ['q-test'] });
    });
    const search = (query: string) => t.http().get(`/api/me/tasks${query}`).set(searcher.auth);
    it.each([
      // Every word common, the phrase in no task: none (the 4-grams rule them all out).
      ['lorem lorem lorem', []],
      ['ipsum lorem', ['lorem ipsum lorem ipsum']],
      ['m ipsum l', ['lorem ipsum lorem ipsum']],
      ['ÄRGER IM', ['Ärger im Büro']],
      ['büro', ['Ärger im Büro']],
      ['BÜRO', ['Ärger im Büro']],
      ['tab\tand', ['tab\tand  two spaces']],
      ['and  two', ['tab\tand  two spaces']],
      ['and two', []],
      ['rger', ['Ärger im Büro']],
    ])('q=%j', async (q, expected) => {
      const response = await search(`?tag=q-test&q=${encodeURIComponent(q)}`).expect(200);
      expect(titles(response.body)).toEqual(expected);
      const alone = await search(`?q=${encodeURIComponent(q)}`).expect(200);
      expect(titles(alone.body)).toEqual(expected);
    });
  });

  describe('sorting', () => {
    it.each([
      [
        'created',
        'asc',
        ['alpha report', 'Bravo 100% done', 'charlie', 'Delta', 'echo', 'foxtrot', 'Golf'],
      ],
      [
        'title',
        'asc',
        ['alpha report', 'Bravo 100% done', 'charlie', 'Delta', 'echo', 'foxtrot', 'Golf'],
      ],
      [
        'title',
        'desc',
        ['Golf', 'foxtrot', 'echo', 'Delta', 'charlie', 'Bravo 100% done', 'alpha report'],
      ],
    ])('sort=%s order=%s', async (sort, order, expected) => {
      const response = await list(`?sort=${sort}&order=${order}`).expect(200);
      expect(titles(response.body)).toEqual(expected);
    });

    it('due_date puts tasks without one last in both orders, ties by id', async () => {
      const byId = (a: string, b: string) => (a < b ? -1 : 1);
      const [alpha, , charlie, delta, , foxtrot] = tasks;
      const sameDay = [alpha.id, foxtrot.id].sort(byId);
      const asc = await list('?sort=due_date&order=asc').expect(200);
      expect(ids(asc.body.slice(0, 4))).toEqual([charlie.id, ...sameDay, delta.id]);
      expect(asc.body.slice(4).every((x: any) => x.due_date === null)).toBe(true);
      const desc = await list('?sort=due_date&order=desc').expect(200);
      expect(ids(desc.body.slice(0, 4))).toEqual([delta.id, ...sameDay.reverse(), charlie.id]);
      expect(desc.body.slice(4).every((x: any) => x.due_date === null)).toBe(true);
    });

    it('priority orders high > medium > low', async () => {
      const highFirst = ['high', 'high', 'high', 'medium', 'medium', 'low', 'low'];
      const desc = await list('?sort=priority&order=desc').expect(200);
      expect(desc.body.map((x: any) => x.priority)).toEqual(highFirst);
      const asc = await list('?sort=priority&order=asc').expect(200);
      expect(asc.body.map((x: any) => x.priority)).toEqual([...highFirst].reverse());
    });

    it('updated follows the last write', async () => {
      await patchTask(t, user, tasks[2].id, { title: 'charlie' }).expect(200);
      const response = await list('?sort=updated&order=desc&limit=1').expect(200);
      expect(response.body[0].id).toBe(tasks[2].id);
    });
  });

  describe('keyset paging', () => {
    const sorts = ['created', 'updated', 'title', 'due_date', 'priority'];
    it.each(
      sorts.flatMap((sort) => [
        [sort, 'asc'],
        [sort, 'desc'],
      ]),
    )('rel="next" visits every task once: sort=%s order=%s', async (sort, order) => {
      const whole = await list(`?sort=${sort}&order=${order}&limit=100`).expect(200);
      const walk = await allPages(
        t,
        user.auth,
        `/api/me/tasks?sort=${sort}&order=${order}&limit=2`,
      );
      expect(walk.ids).toEqual(ids(whole.body));
      expect(walk.ids).toHaveLength(7);
      expect(walk.totals).toEqual(['7']);
    });

    it('ties (same timestamps, title, due date, priority) are broken by id across pages', async () => {
      const ties = await registerUser(t);
      // One INSERT: identical created_at and updated_at (now() is per transaction).
      await insertTasks(t, ties.id, 9, (i) => ({
        title: i % 2 === 0 ? 'Same' : 'same',
        priority: 'medium',
        due_date: i <= 4 ? '2026-12-01' : null,
      }));
      const rows = await t.sql<{ id: string }>(
        'SELECT id FROM tasks WHERE user_id = $1 ORDER BY id',
        [ties.id],
      );
      const byId = ids(rows);
      for (const sort of sorts) {
        for (const order of ['asc', 'desc']) {
          const walk = await allPages(
            t,
            ties.auth,
            `/api/me/tasks?sort=${sort}&order=${order}&limit=2`,
          );
          if (sort === 'due_date') {
            // Dated ones first, then the undated ones, each group by id.
            const dated = await t.sql<{ id: string }>(
              `SELECT id FROM tasks WHERE user_id = $1 AND due_date IS NOT NULL ORDER BY id ${order}`,
              [ties.id],
            );
            const undated = await t.sql<{ id: string }>(
              `SELECT id FROM tasks WHERE user_id = $1 AND due_date IS NULL ORDER BY id ${order}`,
              [ties.id],
            );
            expect(walk.ids).toEqual(ids([...dated, ...undated]));
          } else {
            expect(walk.ids).toEqual(order === 'asc' ? byId : [...byId].reverse());
          }
        }
      }
    });

    it('the next link keeps the filters and the limit', async () => {
      const url = '/api/me/tasks?status=pending&tag=work&limit=1&sort=title&order=asc';
      const response = await t.http().get(url).set(user.auth).expect(200);
      expect(response.headers['x-total-count']).toBe('3');
      expectNextLinkKeeps(response.headers, url);
      const walk = await allPages(t, user.auth, url);
      expect(walk.ids).toEqual([tasks[0].id, tasks[3].id, tasks[5].id]);
    });

    it('tasks added between pages neither repeat nor hide the ones not yet visited', async () => {
      const pager = await registerUser(t);
      const created: string[] = [];
      for (let i = 0; i < 6; i++) created.push((await createTask(t, pager, { title: `p${i}` })).id);
      const walk = await allPages(t, pager.auth, '/api/me/tasks?limit=2', () =>
        createTask(t, pager, { title: 'added meanwhile' }),
      );
      // Newest first: the new ones sort before the cursor, so the walk sees exactly the first six.
      expect(walk.ids).toEqual([...created].reverse());
    });

    it('default limit is 50', async () => {
      const bulk = await registerUser(t);
      await insertTasks(t, bulk.id, 51);
      const response = await t.http().get('/api/me/tasks').set(bulk.auth).expect(200);
      expect(response.body).toHaveLength(50);
      expect(response.headers['x-total-count']).toBe('51');
      expect(response.headers.link).toMatch(/rel="next"/);
    });
  });

  describe('bad parameters: 400 naming the parameter, never a 500', () => {
    let cursor: string;
    beforeAll(async () => {
      const response = await list('?limit=1&sort=title&order=asc').expect(200);
      cursor = cursorOf(response.headers);
    });

    it.each([
      ['status=done', 'status'],
      ['sort=random', 'sort'],
      ['order=up', 'order'],
      ['priority=urgent', 'priority'],
      ['tag=', 'tag'],
      [`tag=${'x'.repeat(51)}`, 'tag'],
      ['tag=a&tag=b', 'tag'],
      ['q=a&q=b', 'q'],
      [`q=${'x'.repeat(201)}`, 'q'],
      ['due_before=tomorrow', 'due_before'],
      ['due_after=2026-02-30', 'due_after'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['cursor=', 'cursor'],
      [`cursor=${'a'.repeat(3000)}`, 'cursor'],
      ['unknown=1', 'unknown'],
    ])('?%s', async (query, field) => {
      const response = await list(`?${query}`);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('a tampered cursor is 400', async () => {
      const [payload, mac] = cursor.split('.');
      const forged = Buffer.from(
        JSON.stringify(['zzz', '00000000-0000-0000-0000-000000000000']),
      ).toString('base64url');
      for (const bad of [`${forged}.${mac}`, tamperedMac(cursor), `${payload}x.${mac}`]) {
        const response = await list(`?limit=1&sort=title&order=asc&cursor=${bad}`);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors[0].field).toBe('cursor');
      }
    });

    it('a cursor is tied to the sort and order it was issued for', async () => {
      for (const query of [
        'sort=title&order=desc',
        'sort=created&order=asc',
        'sort=due_date&order=asc',
      ]) {
        const response = await list(`?${query}&cursor=${cursor}`);
        expectProblem(response, 400, 'VALIDATION_FAILED');
      }
      await list(`?sort=title&order=asc&cursor=${cursor}`).expect(200);
    });
  });

  describe('clear completed: DELETE /api/{user_id}/tasks?status=completed', () => {
    it("deletes only the caller's completed tasks and answers {deleted: N}", async () => {
      const { owner, other, kept } = await withCompletedTasks(t);
      const response = await clearCompleted(t, owner).expect(200);
      expect(response.body).toEqual({ deleted: 2 });
      const rows = await t.sql<{ id: string }>('SELECT id FROM tasks WHERE user_id = $1', [
        owner.id,
      ]);
      expect(ids(rows)).toEqual([kept.id]);
      expect(await taskCount(t, other.id)).toBe(1);
      const again = await clearCompleted(t, owner, `/api/${owner.id}/tasks`).expect(200);
      expect(again.body).toEqual({ deleted: 0 });
    });

    it.each([
      '',
      '?status=pending',
      '?status=all',
      '?status=completed&priority=high',
      '?status=completed&q=x',
      '?status=completed&status=completed',
    ])('any other filter is 400 and deletes nothing: %s', async (query) => {
      const owner = await registerUser(t);
      await createTask(t, owner, { title: 'done', completed: true });
      expectProblem(
        await t.http().delete(`/api/me/tasks${query}`).set(owner.auth),
        400,
        'VALIDATION_FAILED',
      );
      expect(await taskCount(t, owner.id)).toBe(1);
    });
  });
});
