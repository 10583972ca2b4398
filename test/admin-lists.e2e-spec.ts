import { randomUUID } from 'node:crypto';
import { createTask, expectProblem, registerUser, type Registered } from './support/builders';
import { ADMIN_PASSWORD, adminApi, loginAdmin, registerAdmin } from './support/admin';
import { insertTasks } from './support/db';
import {
  allPages,
  cursorOf,
  expectNextLinkKeeps,
  ids,
  nextLink,
  tamperedMac,
  titles,
} from './support/paging';
import { useTestApp } from './support/test-app';

const ORDERS = ['asc', 'desc'] as const;
const TASK_SORTS = ['created', 'updated', 'title', 'due_date', 'priority'];
const bothOrders = <T>(values: T[]) => values.flatMap((value) => ORDERS.map((o) => [value, o]));

describe('Admin lists: keyset paging, filters, cursors bound to their list', () => {
  const t = useTestApp({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD });
  let admin: Registered;
  let owner: Registered;
  let second: Registered;

  beforeAll(async () => {
    admin = await loginAdmin(t);
    owner = await registerUser(t, { name: 'Owner' });
    second = await registerUser(t, { name: 'Second' });
    for (const fields of [
      { title: 'alpha report', priority: 'high', tags: ['work'], due_date: '2026-12-03' },
      { title: 'Bravo 100% done', priority: 'low', tags: ['home'], completed: true },
      { title: 'charlie', description: 'under_score', priority: 'medium', due_date: '2026-12-01' },
      { title: 'Delta', priority: 'high', tags: ['work', 'q4'], due_date: '2026-12-10' },
      { title: 'echo', description: 'mentions REPORT', priority: 'low', completed: true },
      { title: 'foxtrot', priority: 'medium', tags: ['work'], due_date: '2026-12-03' },
      { title: 'Golf', priority: 'high' },
    ]) {
      await createTask(t, owner, fields);
    }
    // Exact ties (one INSERT: same created_at and updated_at, same title, some same due date).
    await insertTasks(t, owner.id, 4, (i) => ({
      title: 'tie',
      priority: 'medium',
      due_date: i <= 2 ? '2026-12-03' : null,
    }));
    await createTask(t, second, { title: 'second report', tags: ['work'], priority: 'high' });
    await createTask(t, second, { title: 'second done', completed: true, due_date: '2026-12-02' });
  });

  const get = (url: string) => t.http().get(url).set(admin.auth);
  const asAdmin = adminApi(t, () => admin);

  describe('GET /api/admin/users', () => {
    beforeAll(async () => {
      // Users created in one statement share created_at; some share last_login_at; some never logged in.
      await t.sql(
        `INSERT INTO users (email, password_hash, name, last_login_at)
         SELECT 'bulk-' || g || '@example.com', 'not-a-hash', 'Bulk ' || g,
                CASE WHEN g <= 3 THEN timestamptz '2026-11-01T10:00:00Z'
                     WHEN g <= 5 THEN timestamptz '2026-11-01T10:00:00Z' + g * interval '1 hour' END
           FROM generate_series(1, 8) g`,
      );
      await registerAdmin(t);
      const banned = await registerUser(t, { name: 'Banned' });
      await asAdmin.ban(banned.id).expect(200);
    });

    const expectedUsers = async (sort: string, order: string, where = 'TRUE') => {
      const column = { created: 'created_at', email: 'email', last_login: 'last_login_at' }[sort];
      const nulls = sort === 'last_login' ? 'NULLS LAST' : '';
      return ids(
        await t.sql<{ id: string }>(
          `SELECT id FROM users WHERE ${where} ORDER BY ${column} ${order} ${nulls}, id ${order}`,
        ),
      );
    };

    it.each(bothOrders(['created', 'email', 'last_login']))(
      'rel="next" visits every user exactly once: sort=%s order=%s',
      async (sort, order) => {
        const expected = await expectedUsers(sort, order);
        expect(expected.length).toBeGreaterThan(12);
        const walk = await allPages(
          t,
          admin.auth,
          `/api/admin/users?sort=${sort}&order=${order}&limit=2`,
        );
        expect(walk.ids).toEqual(expected);
        expect(new Set(walk.ids).size).toBe(expected.length);
        expect(walk.totals).toEqual([String(expected.length)]);
        expect(walk.pages).toBe(Math.ceil(expected.length / 2));
      },
    );

    it('last_login: users who never logged in come last in both orders, across pages', async () => {
      for (const order of ORDERS) {
        const walk = await allPages(
          t,
          admin.auth,
          `/api/admin/users?sort=last_login&order=${order}&limit=3`,
        );
        const logins: (string | null)[] = walk.rows.map((user) => user.last_login_at);
        const firstNull = logins.indexOf(null);
        expect(firstNull).toBeGreaterThan(0);
        expect(logins.slice(firstNull).every((login) => login === null)).toBe(true);
        const dated = logins.slice(0, firstNull) as string[];
        expect(dated).toEqual(order === 'asc' ? [...dated].sort() : [...dated].sort().reverse());
      }
    });

    it('the next link keeps q, role, status, sort, order and limit; the last page has none', async () => {
      const url = '/api/admin/users?q=BULK&status=active&role=user&sort=email&order=asc&limit=3';
      const first = await get(url).expect(200);
      expect(first.headers['x-total-count']).toBe('8');
      expectNextLinkKeeps(first.headers, url);
      const walk = await allPages(t, admin.auth, url);
      expect(walk.ids).toEqual(await expectedUsers('email', 'asc', "email LIKE 'bulk-%'"));
      expect(walk.pages).toBe(3);
    });

    it.each([
      ['status=banned', 'banned'],
      ['role=admin', "role = 'admin'"],
      ['status=active&role=admin', "role = 'admin' AND NOT banned"],
    ])('filter %s pages through exactly the matching users', async (query, where) => {
      const expected = await expectedUsers('created', 'desc', where);
      expect(expected.length).toBeGreaterThan(0);
      const walk = await allPages(t, admin.auth, `/api/admin/users?${query}&limit=1`);
      expect(walk.ids).toEqual(expected);
      expect(walk.totals).toEqual([String(expected.length)]);
    });

    it.each(['q=', 'q=%20%20'])('a blank %s is no search', async (query) => {
      const all = await get('/api/admin/users?limit=100').expect(200);
      const blank = await get(`/api/admin/users?${query}&limit=100`).expect(200);
      expect(ids(blank.body)).toEqual(ids(all.body));
    });

    it('each user keeps its task count on every page', async () => {
      const walk = await allPages(t, admin.auth, '/api/admin/users?q=owner&limit=1');
      expect(walk.ids).toEqual([owner.id]);
      const [user] = (await get('/api/admin/users?q=owner').expect(200)).body;
      expect(user.task_count).toBe(11);
    });
  });

  describe("GET /api/admin/users/{id}/tasks and /api/admin/tasks?user_id=: exactly the owner's list", () => {
    const routes = () => [
      `/api/admin/users/${owner.id}/tasks?`,
      `/api/admin/tasks?user_id=${owner.id}&`,
    ];

    it.each([
      [
        'status=pending',
        ['tie', 'tie', 'tie', 'tie', 'Golf', 'foxtrot', 'Delta', 'charlie', 'alpha report'],
      ],
      ['status=completed', ['echo', 'Bravo 100% done']],
      ['q=REPORT', ['echo', 'alpha report']],
      ['q=100%25', ['Bravo 100% done']],
      ['q=_', ['charlie']],
      ['priority=high', ['Golf', 'Delta', 'alpha report']],
      ['tag=WORK', ['foxtrot', 'Delta', 'alpha report']],
      ['due_before=2026-12-03', ['charlie']],
      ['due_after=2026-12-03&due_before=2026-12-04', ['tie', 'tie', 'foxtrot', 'alpha report']],
      ['status=pending&priority=high&tag=work&sort=due_date&order=asc', ['alpha report', 'Delta']],
    ])('%s', async (query, expectedTitles) => {
      const own = await t.http().get(`/api/me/tasks?${query}`).set(owner.auth).expect(200);
      expect(titles(own.body)).toEqual(expectedTitles);
      for (const route of routes()) {
        const response = await get(`${route}${query}`).expect(200);
        expect(ids(response.body)).toEqual(ids(own.body));
        expect(response.headers['x-total-count']).toBe(String(expectedTitles.length));
        expect(response.headers.link).toBeUndefined();
      }
    });

    it.each(bothOrders(TASK_SORTS))(
      'rel="next" visits every task once, in the owner\'s order: sort=%s order=%s',
      async (sort, order) => {
        const own = await t
          .http()
          .get(`/api/me/tasks?sort=${sort}&order=${order}&limit=100`)
          .set(owner.auth)
          .expect(200);
        expect(own.body).toHaveLength(11);
        for (const route of routes()) {
          const walk = await allPages(t, admin.auth, `${route}sort=${sort}&order=${order}&limit=2`);
          expect(walk.ids).toEqual(ids(own.body));
          expect(walk.totals).toEqual(['11']);
          expect(walk.pages).toBe(6);
        }
      },
    );

    it('filters and paging combine, and the link keeps them', async () => {
      const query = 'status=pending&sort=title&order=asc&limit=2';
      const own = await t
        .http()
        .get(`/api/me/tasks?status=pending&sort=title&order=asc`)
        .set(owner.auth);
      for (const route of routes()) {
        const first = await get(`${route}${query}`).expect(200);
        const link = new URL(nextLink(first.headers)!, 'http://x');
        expect(link.searchParams.get('status')).toBe('pending');
        expect(link.searchParams.get('limit')).toBe('2');
        const walk = await allPages(t, admin.auth, `${route}${query}`);
        expect(walk.ids).toEqual(ids(own.body));
        expect(walk.totals).toEqual(['9']);
      }
    });

    it('404 USER_NOT_FOUND for no such user; an unknown user_id is an empty list', async () => {
      expectProblem(await get(`/api/admin/users/${randomUUID()}/tasks`), 404, 'USER_NOT_FOUND');
      const none = await get(`/api/admin/tasks?user_id=${randomUUID()}`).expect(200);
      expect(none.body).toEqual([]);
      expect(none.headers['x-total-count']).toBe('0');
    });
  });

  describe('GET /api/admin/tasks: every user', () => {
    it.each(bothOrders(TASK_SORTS))(
      'rel="next" visits every task of every user once: sort=%s order=%s',
      async (sort, order) => {
        const whole = await get(`/api/admin/tasks?sort=${sort}&order=${order}&limit=100`).expect(
          200,
        );
        const all = await t.sql<{ id: string }>('SELECT id FROM tasks');
        expect(whole.body).toHaveLength(all.length);
        const walk = await allPages(
          t,
          admin.auth,
          `/api/admin/tasks?sort=${sort}&order=${order}&limit=3`,
        );
        expect(walk.ids).toEqual(ids(whole.body));
        expect([...walk.ids].sort()).toEqual(ids(all).sort());
        expect(walk.totals).toEqual([String(all.length)]);
      },
    );

    it.each([
      ['tag=work', ['second report', 'foxtrot', 'Delta', 'alpha report']],
      ['q=report', ['second report', 'echo', 'alpha report']],
      ['priority=high&status=pending', ['second report', 'Golf', 'Delta', 'alpha report']],
      ['status=completed', ['second done', 'echo', 'Bravo 100% done']],
      ['due_after=2026-12-02&due_before=2026-12-03', ['second done']],
    ])('filter %s applies across users', async (query, expected) => {
      const walk = await allPages(t, admin.auth, `/api/admin/tasks?${query}&limit=1`);
      const response = await get(`/api/admin/tasks?${query}`).expect(200);
      expect(titles(response.body)).toEqual(expected);
      expect(walk.ids).toEqual(ids(response.body));
      expect(walk.totals).toEqual([String(expected.length)]);
    });

    it('user_id narrows to one user and is kept by the next link', async () => {
      const first = await get(`/api/admin/tasks?user_id=${second.id}&limit=1`).expect(200);
      expect(new URL(nextLink(first.headers)!, 'http://x').searchParams.get('user_id')).toBe(
        second.id,
      );
      const walk = await allPages(t, admin.auth, `/api/admin/tasks?user_id=${second.id}&limit=1`);
      const theirs = await t.sql<{ id: string }>(
        'SELECT id FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
        [second.id],
      );
      expect(walk.ids).toEqual(ids(theirs));
      expect(walk.totals).toEqual(['2']);
    });

    it.each(['user_id=42', 'user_id=', `user_id=${randomUUID()}&user_id=${randomUUID()}`])(
      '%s is 400 naming user_id',
      async (query) => {
        const response = await get(`/api/admin/tasks?${query}`);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'user_id' })]),
        );
      },
    );
  });

  describe('GET /api/admin/audit-log', () => {
    beforeAll(async () => {
      // Several entries of one instant (one statement), plus real ones.
      await t.sql(
        `INSERT INTO audit_log (actor_id, action, target_type, target_id)
         SELECT $1, 'test.bulk', 'user', gen_random_uuid() FROM generate_series(1, 5)`,
        [admin.id],
      );
      const user = await registerUser(t);
      await asAdmin.ban(user.id).expect(200);
      await asAdmin.unban(user.id).expect(200);
    });

    it('rel="next" visits every entry exactly once, newest first', async () => {
      const expected = ids(
        await t.sql<{ id: string }>('SELECT id FROM audit_log ORDER BY created_at DESC, id DESC'),
      );
      expect(expected.length).toBeGreaterThan(8);
      const walk = await allPages(t, admin.auth, '/api/admin/audit-log?limit=2');
      expect(walk.ids).toEqual(expected);
      expect(walk.totals).toEqual([String(expected.length)]);
      const first = await get('/api/admin/audit-log?limit=1').expect(200);
      expect(first.body[0].action).toBe('user.unbanned');
    });

    it('entries written while paging do not repeat or hide the older ones', async () => {
      const before = ids(
        await t.sql<{ id: string }>('SELECT id FROM audit_log ORDER BY created_at DESC, id DESC'),
      );
      const walk = await allPages(t, admin.auth, '/api/admin/audit-log?limit=3', async () => {
        const user = await registerUser(t);
        await asAdmin.ban(user.id).expect(200);
      });
      expect(walk.ids).toEqual(before);
    });

    it.each(['sort=created', 'order=asc', 'limit=0', 'cursor='])('%s is 400', async (query) => {
      expectProblem(await get(`/api/admin/audit-log?${query}`), 400, 'VALIDATION_FAILED');
    });
  });

  describe('cursors', () => {
    /** The cursor of the first page of `url` (which must have a next page). */
    const cursorFrom = async (url: string, auth = admin.auth) =>
      cursorOf((await t.http().get(url).set(auth).expect(200)).headers);

    it('a cursor from another list is 400 naming cursor; on its own list it works', async () => {
      // Every list below uses its default sort (created) and order (desc): only the list differs.
      const lists = {
        owner: { url: '/api/me/tasks?limit=1', auth: owner.auth },
        userTasks: { url: `/api/admin/users/${owner.id}/tasks?limit=1`, auth: admin.auth },
        secondTasks: { url: `/api/admin/users/${second.id}/tasks?limit=1`, auth: admin.auth },
        allTasks: { url: '/api/admin/tasks?limit=1', auth: admin.auth },
        filteredTasks: { url: `/api/admin/tasks?user_id=${owner.id}&limit=1`, auth: admin.auth },
        users: { url: '/api/admin/users?limit=1', auth: admin.auth },
        auditLog: { url: '/api/admin/audit-log?limit=1', auth: admin.auth },
      };
      const cursors: Record<string, string> = {};
      for (const [name, list] of Object.entries(lists)) {
        cursors[name] = await cursorFrom(list.url, list.auth);
      }
      for (const [name, list] of Object.entries(lists)) {
        for (const [from, cursor] of Object.entries(cursors)) {
          const response = await t.http().get(`${list.url}&cursor=${cursor}`).set(list.auth);
          // user_id is a filter of /api/admin/tasks, not another list.
          const sameList = from === name || [from, name].sort().join() === 'allTasks,filteredTasks';
          if (sameList) {
            expect({ from, to: name, status: response.status }).toEqual({
              from,
              to: name,
              status: 200,
            });
          } else {
            expect({ from, to: name, status: response.status }).toEqual({
              from,
              to: name,
              status: 400,
            });
            expectProblem(response, 400, 'VALIDATION_FAILED');
            expect(response.body.errors).toEqual([
              { field: 'cursor', message: expect.any(String) },
            ]);
          }
        }
      }
    });

    it('a cursor is bound to the sort and order within an admin list', async () => {
      const cursor = await cursorFrom('/api/admin/users?sort=email&order=asc&limit=1');
      for (const query of [
        'sort=email&order=desc',
        'sort=created&order=asc',
        'sort=last_login&order=asc',
      ]) {
        expectProblem(
          await get(`/api/admin/users?${query}&cursor=${cursor}`),
          400,
          'VALIDATION_FAILED',
        );
      }
      await get(`/api/admin/users?sort=email&order=asc&cursor=${cursor}`).expect(200);
    });

    it.each([
      [
        '/api/admin/users?sort=email&order=asc&limit=1',
        ['bulk-1@example.com', '00000000-0000-0000-0000-000000000000'],
      ],
      [
        '/api/admin/tasks?sort=title&order=asc&limit=1',
        ['zzz', '00000000-0000-0000-0000-000000000000'],
      ],
      [
        '/api/admin/audit-log?limit=1',
        ['2000-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000'],
      ],
    ])('a tampered cursor is 400 on %s', async (url, forgedValues) => {
      const cursor = await cursorFrom(url);
      const [payload, mac] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify(forgedValues)).toString('base64url');
      for (const bad of [
        `${forged}.${mac}`,
        tamperedMac(cursor),
        `${payload}x.${mac}`,
        'garbage',
      ]) {
        const response = await get(`${url}&cursor=${bad}`);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
      }
    });

    it("a tampered cursor on a user's task list is 400", async () => {
      const url = `/api/admin/users/${owner.id}/tasks?limit=1`;
      const response = await get(`${url}&cursor=${tamperedMac(await cursorFrom(url))}`);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors[0].field).toBe('cursor');
    });
  });
});
