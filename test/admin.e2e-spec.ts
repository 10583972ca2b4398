import { randomUUID } from 'node:crypto';
import {
  createTask,
  expectProblem,
  registerUser,
  Registered,
  uniqueEmail,
  TASK_FIELDS,
} from './support/builders';
import { ADMIN_PASSWORD, adminApi, loginAdmin, registerAdmin } from './support/admin';
import { auditCount as countAudit, countRows } from './support/db';
import { useTestApp } from './support/test-app';

const ADMIN_USER_KEYS = [
  'id',
  'email',
  'name',
  'role',
  'created_at',
  'updated_at',
  'banned',
  'ban_reason',
  'last_login_at',
  'task_count',
].sort();

describe('Admin API', () => {
  const t = useTestApp({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD });
  let admin: Registered;

  beforeAll(async () => {
    admin = await loginAdmin(t);
  });

  const asAdmin = adminApi(t, () => admin);
  const auditCount = () => countAudit(t);
  /** The newest audit entry is the root admin's `action` on `target`, with these details. */
  const expectAudited = async (
    action: string,
    target: { type: 'user' | 'task'; id: string },
    details: Record<string, unknown> = {},
  ) =>
    expect(await asAdmin.lastAudit()).toMatchObject({
      actor_id: admin.id,
      action,
      target_type: target.type,
      target_id: target.id,
      details,
    });

  describe('GET /api/admin/users', () => {
    let tagged: string;
    let alice: Registered;
    beforeAll(async () => {
      tagged = `srch${randomUUID().slice(0, 8)}`;
      alice = await registerUser(t, { email: `${tagged}-alice@example.com`, name: 'Alice' });
      await registerUser(t, { email: `${tagged}-bob@example.com`, name: 'Bob 100%' });
      await registerUser(t, { email: uniqueEmail('carol'), name: `Carol ${tagged.toUpperCase()}` });
      await createTask(t, alice);
      await createTask(t, alice, { completed: true });
    });

    it('returns AdminUsers with task counts and X-Total-Count', async () => {
      const response = await t.http().get('/api/admin/users').set(admin.auth).expect(200);
      expect(Array.isArray(response.body)).toBe(true);
      expect(response.headers['x-total-count']).toBe(String(await countRows(t, 'users')));
      for (const user of response.body) expect(Object.keys(user).sort()).toEqual(ADMIN_USER_KEYS);
      const row = response.body.find((user: { id: string }) => user.id === alice.id);
      expect(row).toEqual({
        id: alice.id,
        email: alice.email,
        name: 'Alice',
        role: 'user',
        created_at: expect.stringMatching(/Z$/),
        updated_at: expect.stringMatching(/Z$/),
        banned: false,
        ban_reason: null,
        last_login_at: null,
        task_count: 2,
      });
      expect(JSON.stringify(response.body)).not.toMatch(/argon2|password/);
    });

    it('q searches email and name, case-insensitively; wildcards are literal', async () => {
      const byEmailOrName = await t
        .http()
        .get(`/api/admin/users?q=${tagged.toUpperCase()}&sort=email&order=asc`)
        .set(admin.auth)
        .expect(200);
      expect(byEmailOrName.headers['x-total-count']).toBe('3');
      expect(byEmailOrName.body.map((user: { name: string }) => user.name)).toEqual([
        `Carol ${tagged.toUpperCase()}`,
        'Alice',
        'Bob 100%',
      ]);
      const percent = await t
        .http()
        .get(`/api/admin/users?q=${encodeURIComponent('100%')}`)
        .set(admin.auth)
        .expect(200);
      expect(percent.body.map((user: { name: string }) => user.name)).toEqual(['Bob 100%']);
      const none = await t.http().get('/api/admin/users?q=%25%25%25').set(admin.auth).expect(200);
      expect(none.body).toEqual([]);
      expect(none.headers['x-total-count']).toBe('0');
    });

    it('filters by role and status', async () => {
      const admins = await t.http().get('/api/admin/users?role=admin').set(admin.auth).expect(200);
      expect(admins.body.length).toBeGreaterThan(0);
      expect(admins.body.every((user: { role: string }) => user.role === 'admin')).toBe(true);
      const banned = await t
        .http()
        .get('/api/admin/users?status=banned')
        .set(admin.auth)
        .expect(200);
      expect(banned.body.every((user: { banned: boolean }) => user.banned)).toBe(true);
      const active = await t
        .http()
        .get('/api/admin/users?status=active&limit=100')
        .set(admin.auth)
        .expect(200);
      expect(active.body.every((user: { banned: boolean }) => !user.banned)).toBe(true);
    });

    it('sorts by created (default newest first), email and last_login (never-logged-in last)', async () => {
      const byCreated = (await t.http().get('/api/admin/users?limit=100').set(admin.auth)).body;
      const created = byCreated.map((user: { created_at: string }) => user.created_at);
      expect(created).toEqual([...created].sort().reverse());
      const byEmail = (
        await t.http().get('/api/admin/users?sort=email&order=asc&limit=100').set(admin.auth)
      ).body;
      const emails = byEmail.map((user: { email: string }) => user.email);
      expect(emails).toEqual([...emails].sort());
      for (const order of ['asc', 'desc']) {
        const body = (
          await t
            .http()
            .get(`/api/admin/users?sort=last_login&order=${order}&limit=100`)
            .set(admin.auth)
        ).body as { last_login_at: string | null }[];
        const logins = body.map((user) => user.last_login_at);
        const firstNull = logins.indexOf(null);
        expect(firstNull).toBeGreaterThan(0); // the admin logged in; the others never did
        expect(logins.slice(firstNull).every((login) => login === null)).toBe(true);
        const dated = logins.slice(0, firstNull) as string[];
        expect(dated).toEqual(order === 'asc' ? [...dated].sort() : [...dated].sort().reverse());
      }
    });

    it('limit bounds the page, not the total', async () => {
      const response = await t.http().get('/api/admin/users?limit=1').set(admin.auth).expect(200);
      expect(response.body).toHaveLength(1);
      expect(Number(response.headers['x-total-count'])).toBeGreaterThan(1);
    });

    it.each([
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=1&limit=2',
      'role=root',
      'status=deleted',
      'sort=password',
      'order=sideways',
      `q=${'x'.repeat(255)}`,
      'q=a%00b',
      'unknown=1',
    ])('rejects %s with 400', async (query) => {
      const response = await t.http().get(`/api/admin/users?${query}`).set(admin.auth);
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });
  });

  describe('GET /api/admin/users/{id}', () => {
    it('returns one AdminUser', async () => {
      const user = await registerUser(t, { name: 'Dora' });
      await createTask(t, user);
      const response = await t
        .http()
        .get(`/api/admin/users/${user.id}`)
        .set(admin.auth)
        .expect(200);
      expect(response.body).toMatchObject({
        id: user.id,
        name: 'Dora',
        task_count: 1,
        banned: false,
      });
      expect(Object.keys(response.body).sort()).toEqual(ADMIN_USER_KEYS);
    });

    it('404 USER_NOT_FOUND for an unknown id, 400 for a malformed one', async () => {
      expectProblem(
        await t.http().get(`/api/admin/users/${randomUUID()}`).set(admin.auth),
        404,
        'USER_NOT_FOUND',
      );
      expectProblem(
        await t.http().get('/api/admin/users/not-a-uuid').set(admin.auth),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('PATCH /api/admin/users/{id}/role', () => {
    it('a promotion and a demotion apply on the next request, with the same old token', async () => {
      const user = await registerUser(t);
      expectProblem(await t.http().get('/api/admin/stats').set(user.auth), 403, 'FORBIDDEN');
      const before = await auditCount();
      const promoted = await asAdmin.setRole(user.id, 'admin').expect(200);
      expect(promoted.body).toMatchObject({ id: user.id, role: 'admin' });
      expect(Object.keys(promoted.body).sort()).toEqual(ADMIN_USER_KEYS);
      await t.http().get('/api/admin/stats').set(user.auth).expect(200);
      expect((await t.http().get('/api/auth/me').set(user.auth)).body.role).toBe('admin');

      await asAdmin.setRole(user.id, 'user').expect(200);
      expectProblem(await t.http().get('/api/admin/stats').set(user.auth), 403, 'FORBIDDEN');
      expect(await auditCount()).toBe(before + 2);
      await expectAudited(
        'user.role_changed',
        { type: 'user', id: user.id },
        { from: 'admin', to: 'user' },
      );
    });

    it('setting the role a user already has changes nothing and writes no entry', async () => {
      const user = await registerUser(t);
      const before = await auditCount();
      await asAdmin.setRole(user.id, 'user').expect(200);
      expect(await auditCount()).toBe(before);
    });

    it.each([[{ role: 'root' }], [{}], [{ role: 'admin', banned: true }], [{ role: ['admin'] }]])(
      'rejects %j with 400 and changes nothing',
      async (body) => {
        const user = await registerUser(t);
        const before = await auditCount();
        expectProblem(
          await t.http().patch(`/api/admin/users/${user.id}/role`).set(admin.auth).send(body),
          400,
          'VALIDATION_FAILED',
        );
        const [row] = await t.sql<{ role: string; banned: boolean }>(
          'SELECT role, banned FROM users WHERE id = $1',
          [user.id],
        );
        expect(row).toEqual({ role: 'user', banned: false });
        expect(await auditCount()).toBe(before);
      },
    );

    it('404 for an unknown user', async () => {
      expectProblem(await asAdmin.setRole(randomUUID(), 'admin'), 404, 'USER_NOT_FOUND');
    });
  });

  describe('an admin cannot act on itself: 409 SELF_ACTION, nothing written', () => {
    beforeAll(async () => {
      await registerAdmin(t); // so the root admin is not also the last one
    });

    it.each([
      [
        'demote',
        (id: string) => t.http().patch(`/api/admin/users/${id}/role`).send({ role: 'user' }),
      ],
      ['ban', (id: string) => t.http().post(`/api/admin/users/${id}/ban`).send({ reason: 'oops' })],
      ['delete', (id: string) => t.http().delete(`/api/admin/users/${id}`)],
    ])('%s itself', async (_, request) => {
      const before = await auditCount();
      expectProblem(await request(admin.id).set(admin.auth), 409, 'SELF_ACTION');
      const [row] = await t.sql<{ role: string; banned: boolean }>(
        'SELECT role, banned FROM users WHERE id = $1',
        [admin.id],
      );
      expect(row).toEqual({ role: 'admin', banned: false });
      expect(await auditCount()).toBe(before);
      await t.http().get('/api/admin/stats').set(admin.auth).expect(200);
    });
  });

  describe('ban and unban', () => {
    it('a ban ends every login at once, refuses login, keeps the data; unban restores login', async () => {
      const user = await registerUser(t);
      const second = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      const secondAuth = { Authorization: `Bearer ${second.body.access_token}` };
      await createTask(t, user, { title: 'Still here' });
      await createTask(t, user, { title: 'Me too', completed: true });
      const before = await auditCount();

      const banned = await asAdmin.ban(user.id, { reason: '  Spam  ' }).expect(200);
      expect(banned.body).toMatchObject({
        id: user.id,
        banned: true,
        ban_reason: 'Spam',
        task_count: 2,
      });

      for (const auth of [user.auth, secondAuth]) {
        expectProblem(await t.http().get('/api/auth/me').set(auth), 401, 'UNAUTHENTICATED');
        expectProblem(await t.http().get('/api/me/tasks').set(auth), 401, 'UNAUTHENTICATED');
      }
      const sessions = await t.sql<{ revoked_at: Date | null }>(
        'SELECT revoked_at FROM sessions WHERE user_id = $1',
        [user.id],
      );
      expect(sessions).toHaveLength(2);
      expect(sessions.every((session) => session.revoked_at instanceof Date)).toBe(true);
      expectProblem(
        await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }),
        403,
        'ACCOUNT_BANNED',
      );
      const [row] = await t.sql<{ banned_at: Date | null; tasks: number }>(
        'SELECT banned_at, (SELECT count(*)::int FROM tasks WHERE user_id = $1) AS tasks FROM users WHERE id = $1',
        [user.id],
      );
      expect(row.banned_at).toBeInstanceOf(Date);
      expect(row.tasks).toBe(2);
      expect(await auditCount()).toBe(before + 1);
      await expectAudited(
        'user.banned',
        { type: 'user', id: user.id },
        { reason: 'Spam', sessions_revoked: 2 },
      );

      // Banning again changes nothing.
      await asAdmin.ban(user.id, {}).expect(200);
      expect(await auditCount()).toBe(before + 1);

      const unbanned = await asAdmin.unban(user.id).expect(200);
      expect(unbanned.body).toMatchObject({ banned: false, ban_reason: null });
      await expectAudited('user.unbanned', { type: 'user', id: user.id });
      expect(await auditCount()).toBe(before + 2);
      // The logins the ban ended stay ended; a new login works and finds the data.
      expectProblem(await t.http().get('/api/auth/me').set(user.auth), 401, 'UNAUTHENTICATED');
      const again = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      const tasks = await t
        .http()
        .get('/api/me/tasks')
        .set('Authorization', `Bearer ${again.body.access_token}`)
        .expect(200);
      expect(tasks.body.map((task: { title: string }) => task.title).sort()).toEqual([
        'Me too',
        'Still here',
      ]);
      const [{ banned_at }] = await t.sql<{ banned_at: Date | null }>(
        'SELECT banned_at FROM users WHERE id = $1',
        [user.id],
      );
      expect(banned_at).toBeNull();
    });

    it('the reason is optional (null) and at most 500 characters', async () => {
      const user = await registerUser(t);
      const before = await auditCount();
      expectProblem(
        await asAdmin.ban(user.id, { reason: 'x'.repeat(501) }),
        400,
        'VALIDATION_FAILED',
      );
      for (const reason of [5, 'a\u0000b']) {
        expectProblem(await asAdmin.ban(user.id, { reason }), 400, 'VALIDATION_FAILED');
      }
      expect(await auditCount()).toBe(before);
      await t.http().get('/api/auth/me').set(user.auth).expect(200);
      const banned = await asAdmin.ban(user.id).expect(200);
      expect(banned.body).toMatchObject({ banned: true, ban_reason: null });
    });

    it('an admin can ban another admin, whose admin access ends at once', async () => {
      const other = await registerAdmin(t);
      await t.http().get('/api/admin/stats').set(other.auth).expect(200);
      await asAdmin.ban(other.id).expect(200);
      expectProblem(await t.http().get('/api/admin/stats').set(other.auth), 401, 'UNAUTHENTICATED');
    });

    it('404 for an unknown user', async () => {
      expectProblem(await asAdmin.ban(randomUUID()), 404, 'USER_NOT_FOUND');
      expectProblem(await asAdmin.unban(randomUUID()), 404, 'USER_NOT_FOUND');
    });
  });

  describe('DELETE /api/admin/users/{id}', () => {
    it('deletes the user with its tasks and logins; the audit entries about it stay', async () => {
      const user = await registerUser(t);
      await createTask(t, user);
      await createTask(t, user);
      await asAdmin.ban(user.id).expect(200);
      const before = await auditCount();

      await asAdmin.deleteUser(user.id).expect(204);

      const [left] = await t.sql<{
        users: number;
        tasks: number;
        sessions: number;
        tokens: number;
      }>(
        `SELECT (SELECT count(*)::int FROM users WHERE id = $1) AS users,
                (SELECT count(*)::int FROM tasks WHERE user_id = $1) AS tasks,
                (SELECT count(*)::int FROM sessions WHERE user_id = $1) AS sessions,
                (SELECT count(*)::int FROM refresh_tokens r WHERE NOT EXISTS
                   (SELECT 1 FROM sessions s WHERE s.id = r.session_id)) AS tokens`,
        [user.id],
      );
      expect(left).toEqual({ users: 0, tasks: 0, sessions: 0, tokens: 0 });
      expect(await auditCount()).toBe(before + 1);
      await expectAudited(
        'user.deleted',
        { type: 'user', id: user.id },
        { email: user.email, role: 'user' },
      );
      // The ban and the deletion.
      expect(await countRows(t, 'audit_log', 'target_id = $1', [user.id])).toBe(2);
      expectProblem(await t.http().get('/api/auth/me').set(user.auth), 401, 'UNAUTHENTICATED');
      expectProblem(
        await t.http().get(`/api/admin/users/${user.id}`).set(admin.auth),
        404,
        'USER_NOT_FOUND',
      );
      expectProblem(await asAdmin.deleteUser(user.id), 404, 'USER_NOT_FOUND');
      expect(await auditCount()).toBe(before + 1);
    });
  });

  describe("a user's tasks", () => {
    let owner: Registered;
    let other: Registered;
    beforeAll(async () => {
      owner = await registerUser(t);
      other = await registerUser(t);
      for (const title of ['banana', 'Apple', 'cherry']) await createTask(t, owner, { title });
      await createTask(t, owner, { title: 'done', completed: true });
      await createTask(t, other, { title: 'not yours' });
    });

    it('GET lists only that user, with the owner filters, sorts and X-Total-Count', async () => {
      const all = await t
        .http()
        .get(`/api/admin/users/${owner.id}/tasks`)
        .set(admin.auth)
        .expect(200);
      expect(all.headers['x-total-count']).toBe('4');
      expect(all.body.every((task: { user_id: string }) => task.user_id === owner.id)).toBe(true);
      const pending = await t
        .http()
        .get(`/api/admin/users/${owner.id}/tasks?status=pending&sort=title&order=asc&limit=2`)
        .set(admin.auth)
        .expect(200);
      expect(pending.headers['x-total-count']).toBe('3');
      expect(pending.body.map((task: { title: string }) => task.title)).toEqual([
        'Apple',
        'banana',
      ]);
      expect(Object.keys(pending.body[0]).sort()).toEqual([...TASK_FIELDS].sort());
    });

    it('GET: 404 for an unknown user, 400 for bad filters', async () => {
      expectProblem(
        await t.http().get(`/api/admin/users/${randomUUID()}/tasks`).set(admin.auth),
        404,
        'USER_NOT_FOUND',
      );
      expectProblem(
        await t.http().get(`/api/admin/users/${owner.id}/tasks?status=maybe`).set(admin.auth),
        400,
        'VALIDATION_FAILED',
      );
    });

    it("DELETE removes that user's task, once, with one audit entry", async () => {
      const task = await createTask(t, owner, { title: 'to delete' });
      const before = await auditCount();
      await t
        .http()
        .delete(`/api/admin/users/${owner.id}/tasks/${task.id}`)
        .set(admin.auth)
        .expect(204);
      expect(await t.sql('SELECT 1 FROM tasks WHERE id = $1', [task.id])).toHaveLength(0);
      await expectAudited(
        'task.deleted',
        { type: 'task', id: task.id },
        { user_id: owner.id, title: 'to delete' },
      );
      expectProblem(
        await t.http().delete(`/api/admin/users/${owner.id}/tasks/${task.id}`).set(admin.auth),
        404,
        'TASK_NOT_FOUND',
      );
      expect(await auditCount()).toBe(before + 1);
    });

    it("DELETE: another user's task is 404 and stays; an unknown user is 404 USER_NOT_FOUND", async () => {
      const theirs = await createTask(t, other, { title: 'keep' });
      const before = await auditCount();
      expectProblem(
        await t.http().delete(`/api/admin/users/${owner.id}/tasks/${theirs.id}`).set(admin.auth),
        404,
        'TASK_NOT_FOUND',
      );
      expectProblem(
        await t
          .http()
          .delete(`/api/admin/users/${randomUUID()}/tasks/${theirs.id}`)
          .set(admin.auth),
        404,
        'USER_NOT_FOUND',
      );
      expectProblem(
        await t.http().delete(`/api/admin/users/${owner.id}/tasks/nope`).set(admin.auth),
        400,
        'VALIDATION_FAILED',
      );
      expect(await t.sql('SELECT 1 FROM tasks WHERE id = $1', [theirs.id])).toHaveLength(1);
      expect(await auditCount()).toBe(before);
    });
  });

  describe('GET /api/admin/tasks', () => {
    it("lists every user's tasks, narrowed by user_id and status, sorted by title", async () => {
      const first = await registerUser(t);
      const second = await registerUser(t);
      await createTask(t, first, { title: 'one' });
      await createTask(t, second, { title: 'two', completed: true });
      const all = await t.http().get('/api/admin/tasks?limit=100').set(admin.auth).expect(200);
      expect(all.headers['x-total-count']).toBe(String(await countRows(t, 'tasks')));
      const owners = new Set(all.body.map((task: { user_id: string }) => task.user_id));
      expect(owners.has(first.id) && owners.has(second.id)).toBe(true);

      const mine = await t
        .http()
        .get(`/api/admin/tasks?user_id=${second.id}`)
        .set(admin.auth)
        .expect(200);
      expect(mine.body.map((task: { title: string }) => task.title)).toEqual(['two']);
      const pending = await t
        .http()
        .get(`/api/admin/tasks?user_id=${second.id}&status=pending`)
        .set(admin.auth)
        .expect(200);
      expect(pending.body).toEqual([]);
      expect(pending.headers['x-total-count']).toBe('0');

      const byTitle = (
        await t.http().get('/api/admin/tasks?sort=title&order=asc&limit=100').set(admin.auth)
      ).body;
      const titles = byTitle.map((task: { title: string }) => task.title.toLowerCase());
      expect(titles).toEqual([...titles].sort());
    });

    it.each(['user_id=42', 'limit=0', 'sort=owner', 'status=all&status=pending'])(
      'rejects %s with 400',
      async (query) => {
        expectProblem(
          await t.http().get(`/api/admin/tasks?${query}`).set(admin.auth),
          400,
          'VALIDATION_FAILED',
        );
      },
    );
  });

  describe('GET /api/admin/stats', () => {
    const stats = async () =>
      (await t.http().get('/api/admin/stats').set(admin.auth).expect(200)).body;

    it('adds up and follows the data', async () => {
      const before = await stats();
      expect(Object.keys(before).sort()).toEqual(['tasks', 'users']);
      expect(Object.keys(before.users).sort()).toEqual(['admins', 'banned', 'total']);
      expect(Object.keys(before.tasks).sort()).toEqual([
        'completed',
        'overdue',
        'pending',
        'total',
      ]);
      expect(before.tasks.completed + before.tasks.pending).toBe(before.tasks.total);

      const user = await registerUser(t);
      const promoted = await registerUser(t);
      await createTask(t, user, { due_date: '2020-01-01' }); // overdue
      await createTask(t, user, { due_date: '2020-01-01', completed: true }); // done: not overdue
      await createTask(t, user, { due_date: '2999-01-01' }); // pending, not yet due
      await createTask(t, user); // pending, no due date
      await asAdmin.setRole(promoted.id, 'admin').expect(200);
      await asAdmin.ban(user.id).expect(200);

      const after = await stats();
      expect(after.users).toEqual({
        total: before.users.total + 2,
        admins: before.users.admins + 1,
        banned: before.users.banned + 1,
      });
      expect(after.tasks).toEqual({
        total: before.tasks.total + 4,
        completed: before.tasks.completed + 1,
        pending: before.tasks.pending + 3,
        overdue: before.tasks.overdue + 1,
      });
      const [counts] = await t.sql(
        `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM tasks) AS tasks`,
      );
      expect(counts).toEqual({ users: after.users.total, tasks: after.tasks.total });
    });
  });

  describe('GET /api/admin/audit-log', () => {
    it('is newest first, paged, in the AuditEntry shape', async () => {
      const user = await registerUser(t);
      await asAdmin.ban(user.id, { reason: 'r' }).expect(200);
      await asAdmin.unban(user.id).expect(200);
      const response = await t
        .http()
        .get('/api/admin/audit-log?limit=2')
        .set(admin.auth)
        .expect(200);
      expect(response.headers['x-total-count']).toBe(String(await auditCount()));
      expect(response.body).toEqual([
        {
          id: expect.any(String),
          actor_id: admin.id,
          action: 'user.unbanned',
          target_type: 'user',
          target_id: user.id,
          details: {},
          created_at: expect.stringMatching(/Z$/),
        },
        expect.objectContaining({
          action: 'user.banned',
          target_id: user.id,
          details: { reason: 'r', sessions_revoked: 1 },
        }),
      ]);
      const all = (await t.http().get('/api/admin/audit-log?limit=100').set(admin.auth)).body;
      const times = all.map((entry: { created_at: string }) => entry.created_at);
      expect(times).toEqual([...times].sort().reverse());
      expectProblem(
        await t.http().get('/api/admin/audit-log?limit=500').set(admin.auth),
        400,
        'VALIDATION_FAILED',
      );
    });
  });
});
