import { MIGRATIONS } from '../src/database/data-source-options';
import { adminApi } from './support/admin';
import { authApi, bearer } from './support/auth';
import { createTask, expectProblem, registerUser, uniqueEmail } from './support/builders';
import { type SharedDatabase, type TestApp, useSharedDatabase } from './support/test-app';

jest.setTimeout(60_000);

/** One more app instance on the same database, configured like the others (no shared memory). */
const startInstance = (database: SharedDatabase, env: Record<string, string> = {}) =>
  // Only the per-email login limit is small here.
  database.start({
    DATABASE_POOL_MAX: '3',
    LOGIN_MAX_FAILURES_PER_EMAIL: '3',
    LOGIN_WINDOW: '60s',
    ...env,
  });

/**
 * Two instances of the API on one PostgreSQL act as one service: nothing that decides an answer
 * lives in one instance's memory.
 */
const ADMIN = { email: 'instances-admin@example.com', password: 'admin-password-123' };

describe('Several instances on one database', () => {
  const database = useSharedDatabase();
  let a: TestApp;
  let b: TestApp;
  const onA = authApi(() => a);
  const onB = authApi(() => b);

  beforeAll(async () => {
    // Started together on an empty database: the migration lock lets one migrate, the other wait.
    [a, b] = await Promise.all([
      startInstance(database, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }),
      startInstance(database),
    ]);
  });

  it('migrated the shared database exactly once', async () => {
    const rows = await a.sql<{ name: string }>('SELECT name FROM migrations');
    expect(rows.map((row) => row.name).sort()).toEqual(
      MIGRATIONS.map((migration) => migration.name).sort(),
    );
  });

  describe('tokens and data', () => {
    it('accepts on B a token issued by A, and shows B what was written through A', async () => {
      const user = await registerUser(a);
      const task = await createTask(a, user, { title: 'Written through A' });
      const me = await onB.me(user.token).expect(200);
      expect(me.body.id).toBe(user.id);
      const fromA = await a.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      const fromB = await b.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(fromB.body).toEqual(fromA.body);
      expect(fromB.headers.etag).toBe(fromA.headers.etag);
    });

    it('accepts on B a login made on A', async () => {
      const user = await registerUser(a);
      const login = await onA.login(user).expect(200);
      await onB.me(login.body.access_token).expect(200);
    });
  });

  describe('revocation takes effect on the other instance at the next request', () => {
    it('a revoked login (session) is refused on B', async () => {
      const user = await registerUser(a);
      await onB.me(user.token).expect(200);
      await a.sql('UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [user.id]);
      expectProblem(await onB.me(user.token), 401, 'UNAUTHENTICATED');
    });

    it('a bumped token version (password change) is refused on B', async () => {
      const user = await registerUser(a);
      await b.http().get('/api/me/tasks').set(user.auth).expect(200);
      await a.sql('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [user.id]);
      expectProblem(await b.http().get('/api/me/tasks').set(user.auth), 401, 'UNAUTHENTICATED');
    });

    it('a banned user is refused on B, token and login alike', async () => {
      const user = await registerUser(a);
      await onB.me(user.token).expect(200);
      await a.sql('UPDATE users SET banned = true, banned_at = now() WHERE id = $1', [user.id]);
      expectProblem(await onB.me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await onB.login(user), 403, 'ACCOUNT_BANNED');
    });

    it('a deleted user is refused on B', async () => {
      const user = await registerUser(a);
      await onB.me(user.token).expect(200);
      await a.sql('DELETE FROM users WHERE id = $1', [user.id]);
      expectProblem(await onB.me(user.token), 401, 'UNAUTHENTICATED');
    });
  });

  describe('uniqueness holds across instances', () => {
    it('an email registered on A is taken on B', async () => {
      const email = uniqueEmail();
      await a
        .http()
        .post('/api/auth/register')
        .send({ email, password: 'password-123' })
        .expect(201);
      expectProblem(
        await b
          .http()
          .post('/api/auth/register')
          .send({ email: email.toUpperCase(), password: 'password-123' }),
        409,
        'EMAIL_TAKEN',
      );
    });

    it('the same email registered on A and B at once: one 201, one 409, one row', async () => {
      const email = uniqueEmail();
      const responses = await Promise.all(
        [a, b].map((instance) =>
          instance.http().post('/api/auth/register').send({ email, password: 'password-123' }),
        ),
      );
      expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
      const rows = await b.sql('SELECT id FROM users WHERE email = $1', [email]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('what one instance does, the other honours on the next request', () => {
    it('a login throttled through A is throttled on B, even with the right password', async () => {
      const user = await registerUser(a);
      for (let attempt = 0; attempt < 3; attempt++) {
        expectProblem(
          await onA.login({ email: user.email, password: 'wrong-password' }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      const locked = await onB.login(user);
      expectProblem(locked, 429, 'TOO_MANY_REQUESTS');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('a logout through A ends the login on B: access and refresh token alike', async () => {
      const user = await registerUser(a);
      await onB.me(user.token).expect(200);
      await onA.logout(user.refreshToken).expect(204);
      expectProblem(await onB.me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await onB.refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    });

    it('a password change through A voids older access tokens on B', async () => {
      const user = await registerUser(a);
      await b.http().get('/api/me/tasks').set(user.auth).expect(200);
      await onA.changePassword(user, 'a-brand-new-password').expect(204);
      expectProblem(await b.http().get('/api/me/tasks').set(user.auth), 401, 'UNAUTHENTICATED');
      await onB.login({ email: user.email, password: 'a-brand-new-password' }).expect(200);
    });

    it('a ban through A (admin route) is refused on B: token, refresh and login', async () => {
      const user = await registerUser(a);
      await onB.me(user.token).expect(200);
      const admin = await onA.login(ADMIN).expect(200);
      await adminApi(a, { auth: bearer(admin.body.access_token) })
        .ban(user.id, { reason: 'spam' })
        .expect(200);
      expectProblem(await onB.me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await onB.refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      expectProblem(await onB.login(user), 403, 'ACCOUNT_BANNED');
    });

    it('an Idempotency-Key used on A replays on B without creating anything', async () => {
      const user = await registerUser(a);
      const body = { title: 'Created once', priority: 'high' };
      const create = (on: TestApp) =>
        on.http().post('/api/me/tasks').set(user.auth).set('Idempotency-Key', 'create-once-1');
      const first = await create(a).send(body).expect(201);
      const replay = await create(b).send(body).expect(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.location).toBe(first.headers.location);
      const rows = await b.sql('SELECT id FROM tasks WHERE user_id = $1', [user.id]);
      expect(rows).toHaveLength(1);
    });
  });
});
