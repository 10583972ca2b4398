import { createTask, expectProblem, registerUser, Registered } from './support/builders';
import { adminQuery, createTestApp, TestApp } from './support/test-app';

/**
 * The database goes away under a running app (connections refused, open ones killed) and comes
 * back: the app answers 503 quickly meanwhile and recovers without a restart.
 */
jest.setTimeout(30_000);

describe('Database outage', () => {
  let t: TestApp;
  let user: Registered;
  let databaseName: string;

  const refuseConnections = async () => {
    await adminQuery(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = '${databaseName}' AND pid <> pg_backend_pid()`,
    );
  };
  const allowConnections = () =>
    adminQuery(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);

  beforeAll(async () => {
    t = await createTestApp();
    databaseName = new URL(t.databaseUrl).pathname.slice(1);
    user = await registerUser(t);
    await createTask(t, user, { title: 'Before the outage' });
  });
  afterAll(async () => {
    await allowConnections();
    await t.close();
  });

  it('answers 503 with Retry-After quickly while the database refuses connections, stays live, and recovers by itself', async () => {
    await refuseConnections();
    try {
      const readyStarted = Date.now();
      const ready = await t.http().get('/health/ready');
      expectProblem(ready, 503, 'SERVICE_UNAVAILABLE');
      expect(Date.now() - readyStarted).toBeLessThan(4_000);

      // The per-request token check needs the database too: 503, not 401 or 500.
      const started = Date.now();
      const list = await t.http().get('/api/me/tasks').set(user.auth);
      expectProblem(list, 503, 'SERVICE_UNAVAILABLE');
      expect(list.headers['retry-after']).toMatch(/^\d+$/);
      expect(list.body.request_id).toBe(list.headers['x-request-id']);
      expect(JSON.stringify(list.body)).not.toMatch(/accepting connections|ALLOW|FATAL/i);
      expect(Date.now() - started).toBeLessThan(7_000);

      // A route that needs no token but the database (login) is a 503 as well.
      const login = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(login, 503, 'SERVICE_UNAVAILABLE');
      expect(login.headers['retry-after']).toMatch(/^\d+$/);

      await t.http().get('/health/live').expect(200, { status: 'ok' });
    } finally {
      await allowConnections();
    }

    await t.http().get('/health/ready').expect(200);
    const list = await t.http().get('/api/me/tasks').set(user.auth).expect(200);
    expect(list.body.map((task: { title: string }) => task.title)).toEqual(['Before the outage']);
    await createTask(t, user, { title: 'After the outage' });
    const [{ count }] = await t.sql<{ count: string }>(
      'SELECT count(*) FROM tasks WHERE user_id = $1',
      [user.id],
    );
    expect(Number(count)).toBe(2);
  });
});
