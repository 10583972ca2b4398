import { expectProblem, createTask, registerUser, Registered } from './support/builders';
import { ADMIN_PASSWORD, DiscoveredRoute, fillParams, registeredRoutes } from './support/admin';
import { useTestApp } from './support/test-app';

/** The admin routes of the contract: the walk below must find at least these. */
const CONTRACT_ROUTES = [
  'GET /api/admin/users',
  'GET /api/admin/users/:id',
  'PATCH /api/admin/users/:id/role',
  'POST /api/admin/users/:id/ban',
  'POST /api/admin/users/:id/unban',
  'DELETE /api/admin/users/:id',
  'GET /api/admin/users/:id/tasks',
  'DELETE /api/admin/users/:id/tasks/:task_id',
  'GET /api/admin/tasks',
  'GET /api/admin/stats',
  'GET /api/admin/audit-log',
];

/** A body every admin write would accept from an admin, so only the guards can stop it. */
const PLAUSIBLE_BODY = { role: 'admin' };

describe('Every route under /api/admin is guarded', () => {
  const t = useTestApp({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD });
  let adminRoutes: DiscoveredRoute[];
  let plain: Registered;
  let victim: Registered;
  let victimTaskId: string;

  beforeAll(async () => {
    adminRoutes = registeredRoutes(t).filter(({ path }) => path.startsWith('/api/admin'));
    plain = await registerUser(t);
    victim = await registerUser(t);
    victimTaskId = (await createTask(t, victim, { title: 'Keep me' })).id;
  });

  /** Everything an admin route could change, as one comparable value. */
  const snapshot = () =>
    t.sql(
      `SELECT (SELECT json_agg(u ORDER BY id) FROM users u) AS users,
              (SELECT json_agg(s ORDER BY id) FROM sessions s) AS sessions,
              (SELECT json_agg(r ORDER BY id) FROM refresh_tokens r) AS refresh_tokens,
              (SELECT json_agg(k ORDER BY id) FROM tasks k) AS tasks,
              (SELECT count(*)::int FROM audit_log) AS audit_entries`,
    );

  it('discovers the admin routes from the app, including every contract route', () => {
    const found = adminRoutes.map(({ method, path }) => `${method} ${path}`);
    expect(found.length).toBeGreaterThanOrEqual(CONTRACT_ROUTES.length);
    expect(found).toEqual(expect.arrayContaining(CONTRACT_ROUTES));
    // What Nest registered is what Fastify serves: the discovered paths are real routes.
    const fastify = t.app.getHttpAdapter().getInstance();
    for (const { method, path } of adminRoutes) {
      expect(fastify.hasRoute({ method: method as 'GET', url: path })).toBe(true);
    }
  });

  const call = (route: DiscoveredRoute, path: string) => {
    const request = t.http()[route.method.toLowerCase() as 'get'](path);
    return route.method === 'GET' ? request : request.send(PLAUSIBLE_BODY);
  };

  it.each([
    ['random ids', () => ({})],
    ['the ids of an existing user and task', () => ({ id: victim.id, task_id: victimTaskId })],
    ['the caller own id', () => ({ id: plain.id, task_id: victimTaskId })],
  ])(
    'with %s: 401 without a token, 403 with a plain user token, and nothing changes',
    async (_, params) => {
      const before = await snapshot();
      for (const route of adminRoutes) {
        const path = fillParams(route.path, params());
        const anonymous = await call(route, path);
        expectProblem(anonymous, 401, 'UNAUTHENTICATED');
        expect(anonymous.headers['www-authenticate']).toBe('Bearer');
        const asUser = await call(route, path).set(plain.auth);
        try {
          expectProblem(asUser, 403, 'FORBIDDEN');
        } catch (error) {
          throw new Error(`${route.method} ${path} as a plain user: ${asUser.status}`, {
            cause: error,
          });
        }
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it('a plain user cannot promote itself', async () => {
    expectProblem(
      await t
        .http()
        .patch(`/api/admin/users/${plain.id}/role`)
        .set(plain.auth)
        .send({ role: 'admin' }),
      403,
      'FORBIDDEN',
    );
    const [row] = await t.sql<{ role: string }>('SELECT role FROM users WHERE id = $1', [plain.id]);
    expect(row.role).toBe('user');
  });

  it('the OpenAPI document shows every admin route with its role requirement', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body;
    for (const { method, path } of adminRoutes) {
      const openApiPath = path.replace(/:(\w+)/g, '{$1}');
      const operation = document.paths[openApiPath]?.[method.toLowerCase()];
      expect({ route: `${method} ${path}`, found: Boolean(operation) }).toEqual({
        route: `${method} ${path}`,
        found: true,
      });
      expect(operation.tags).toContain('Admin');
      expect(operation.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
      expect(operation['x-required-role']).toBe('admin');
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});
