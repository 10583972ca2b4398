import { createTask, registerUser, type Registered } from './support/builders';
import { ADMIN_PASSWORD, loginAdmin } from './support/admin';
import { insertTasks } from './support/db';
import { allPages, nextLink } from './support/paging';
import { useTestApp } from './support/test-app';

const COUNT_LIMIT = 5;

/**
 * COUNT_LIMIT (here 5): X-Total-Count is exact up to the limit and left out when more rows match;
 * paging by Link visits every row either way. For the owner's lists and the admin's.
 */
describe('COUNT_LIMIT: X-Total-Count exact up to the limit, left out above it', () => {
  const t = useTestApp({
    COUNT_LIMIT: String(COUNT_LIMIT),
    ADMIN_EMAIL: 'root@example.com',
    ADMIN_PASSWORD,
  });
  let admin: Registered;
  /** Exactly COUNT_LIMIT tasks, then one more: the two sides of the limit. */
  let five: Registered;
  let six: Registered;

  beforeAll(async () => {
    admin = await loginAdmin(t);
    five = await registerUser(t);
    six = await registerUser(t);
    await insertTasks(t, five.id, 5, (i) => ({
      title: `five ${i}`,
      priority: i <= 2 ? 'high' : 'low',
    }));
    await insertTasks(t, six.id, 6, (i) => ({
      title: `six ${i}`,
      priority: i <= 2 ? 'high' : 'low',
    }));
  });

  const header = async (user: Registered, url: string) =>
    (await t.http().get(url).set(user.auth).expect(200)).headers['x-total-count'];

  describe("the owner's tasks", () => {
    it.each([
      ['all on the first page', ''],
      ['paged two at a time', '?limit=2'],
    ])('5 matching rows: X-Total-Count 5 (%s)', async (_, query) => {
      expect(await header(five, `/api/me/tasks${query}`)).toBe('5');
    });

    it.each([
      ['all on the first page', ''],
      ['paged two at a time', '?limit=2'],
    ])('6 matching rows: no X-Total-Count (%s)', async (_, query) => {
      expect(await header(six, `/api/me/tasks${query}`)).toBeUndefined();
    });

    it('counts the matching rows, not the table: a filter that matches fewer has its count', async () => {
      expect(await header(six, '/api/me/tasks?priority=low')).toBe('4');
      expect(await header(six, '/api/me/tasks?q=six%201')).toBe('1');
    });

    it('paging by Link is complete without the header: every task once, on every page', async () => {
      const expected = await t.sql<{ id: string }>(
        'SELECT id FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
        [six.id],
      );
      const walk = await allPages(t, six.auth, '/api/me/tasks?limit=2');
      expect(walk.ids).toEqual(expected.map((row) => row.id));
      expect([walk.pages, walk.totals]).toEqual([3, [undefined]]);
    });

    it('a later page of a list within the limit still has the count', async () => {
      const first = await t.http().get('/api/me/tasks?limit=2').set(five.auth).expect(200);
      const second = await t.http().get(nextLink(first.headers)!).set(five.auth).expect(200);
      expect(second.headers['x-total-count']).toBe('5');
    });

    it('a new task takes a list over the limit, and deleting it brings the count back', async () => {
      const extra = await createTask(t, five, { title: 'the sixth' });
      expect(await header(five, '/api/me/tasks')).toBeUndefined();
      await t.http().delete(`/api/me/tasks/${extra.id}`).set(five.auth).expect(204);
      expect(await header(five, '/api/me/tasks')).toBe('5');
    });
  });

  describe("the admin's lists", () => {
    it('GET /api/admin/users/{id}/tasks: 5 counted, 6 not; paging complete', async () => {
      expect(await header(admin, `/api/admin/users/${five.id}/tasks`)).toBe('5');
      expect(await header(admin, `/api/admin/users/${six.id}/tasks`)).toBeUndefined();
      const walk = await allPages(t, admin.auth, `/api/admin/users/${six.id}/tasks?limit=4`);
      expect([walk.ids.length, new Set(walk.ids).size, walk.totals]).toEqual([6, 6, [undefined]]);
    });

    it('GET /api/admin/tasks: 11 tasks uncounted; narrowed to 5 or fewer, counted', async () => {
      expect(await header(admin, '/api/admin/tasks')).toBeUndefined();
      expect(await header(admin, `/api/admin/tasks?user_id=${five.id}`)).toBe('5');
      expect(await header(admin, `/api/admin/tasks?user_id=${six.id}`)).toBeUndefined();
      expect(await header(admin, '/api/admin/tasks?priority=high')).toBe('4');
      const walk = await allPages(t, admin.auth, '/api/admin/tasks?sort=title&order=asc&limit=3');
      expect(walk.rows.map((task) => task.title)).toEqual([
        ...[1, 2, 3, 4, 5].map((i) => `five ${i}`),
        ...[1, 2, 3, 4, 5, 6].map((i) => `six ${i}`),
      ]);
      expect(walk.totals).toEqual([undefined]);
    });

    it('GET /api/admin/users: 5 users counted, 6 not; paging complete', async () => {
      // The admin, five and six: 3 users; two more make 5, a third more 6.
      for (const name of ['u4', 'u5']) await registerUser(t, { name });
      expect(await header(admin, '/api/admin/users')).toBe('5');
      expect(await header(admin, '/api/admin/users?limit=2')).toBe('5');
      await registerUser(t, { name: 'u6' });
      expect(await header(admin, '/api/admin/users')).toBeUndefined();
      expect(await header(admin, '/api/admin/users?q=u6')).toBe('1');
      const walk = await allPages(t, admin.auth, '/api/admin/users?sort=email&order=asc&limit=4');
      const emails = await t.sql<{ email: string }>('SELECT email FROM users ORDER BY email, id');
      expect(walk.rows.map((user) => user.email)).toEqual(emails.map((row) => row.email));
      expect(walk.totals).toEqual([undefined]);
    });

    it('GET /api/admin/audit-log: 5 entries counted, 6 not; paging complete', async () => {
      // Each ban and each unban writes one entry: alternate them up to exactly COUNT_LIMIT.
      const entries = async () =>
        (await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0].n;
      const change = (n: number) =>
        t
          .http()
          .post(`/api/admin/users/${six.id}/${n % 2 ? 'unban' : 'ban'}`)
          .set(admin.auth)
          .expect(200);
      let written = 0;
      while ((await entries()) < COUNT_LIMIT) await change(written++);
      expect(await entries()).toBe(COUNT_LIMIT);
      expect(await header(admin, '/api/admin/audit-log?limit=2')).toBe('5');
      await change(written);
      expect(await header(admin, '/api/admin/audit-log?limit=2')).toBeUndefined();
      const walk = await allPages(t, admin.auth, '/api/admin/audit-log?limit=2');
      expect([walk.ids.length, new Set(walk.ids).size]).toEqual([6, 6]);
    });
  });
});
