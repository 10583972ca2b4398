import type { Response } from 'supertest';
import { DiscoveredRoute, fillParams, registerAdmin, registeredRoutes } from './support/admin';
import { createApiToken, type CreatedApiToken } from './support/api-tokens';
import { createTask, expectProblem, type Registered } from './support/builders';
import { useTestApp } from './support/test-app';

type Scope = 'tasks:read' | 'tasks:write' | 'admin';
const SCOPES: Scope[] = ['tasks:read', 'tasks:write', 'admin'];

/**
 * The contract's rule for API tokens, written out here independently of the server's metadata:
 * the scopes that open a route, or [] for none. A route of a family the rule does not know makes
 * the test fail, so a new kind of route has to be decided here (and on the server) before it ships.
 */
function contractScopes({ method, path }: DiscoveredRoute): Scope[] | 'public' {
  if (path.startsWith('/health/') || path === '/metrics') return 'public';
  if (path.startsWith('/api/:user_id/'))
    return method === 'GET' ? ['tasks:read', 'tasks:write'] : ['tasks:write'];
  if (path === '/api/admin' || path.startsWith('/api/admin/')) return ['admin'];
  if (method === 'GET' && path === '/api/auth/me') return SCOPES;
  // Login, refresh and the rest included: they take no token, but refuse one that is an API token.
  if (path.startsWith('/api/auth/')) return [];
  throw new Error(
    `${method} ${path}: no rule for API tokens on this route: add one to this test and declare ` +
      "the route's @ApiTokenAccess (or put it under OwnerRoutes / AdminOnly)",
  );
}

/**
 * Every route Nest registered, called with an API token of each single scope (and HEAD for every
 * GET): the answer must follow the contract's rule above. The token belongs to an admin, so only
 * the scope decides; ids are random, so a permitted call ends in 404 or 400 and changes nothing.
 */
describe('API token scopes, on every route', () => {
  const t = useTestApp({ METRICS_ENABLED: 'true' });
  let routes: DiscoveredRoute[];
  let admin: Registered;
  const tokens = {} as Record<Scope, CreatedApiToken>;

  beforeAll(async () => {
    routes = registeredRoutes(t);
    admin = await registerAdmin(t);
    await createTask(t, admin, { title: 'Keep me' });
    for (const scope of SCOPES) tokens[scope] = await createApiToken(t, admin, [scope]);
  });

  const call = (method: string, path: string, token: CreatedApiToken) => {
    const request = t.http()[method.toLowerCase() as 'get'](fillParams(path, { user_id: 'me' }));
    request.set(token.auth);
    return method === 'GET' || method === 'HEAD' ? request : request.send({});
  };
  const snapshot = () =>
    t.sql(
      `SELECT (SELECT json_agg(u ORDER BY id) FROM users u) AS users,
              (SELECT json_agg(k ORDER BY id) FROM tasks k) AS tasks,
              (SELECT json_agg(l ORDER BY id) FROM lists l) AS lists,
              (SELECT json_agg(a.id ORDER BY id) FROM api_tokens a) AS api_tokens,
              (SELECT count(*)::int FROM sessions) AS sessions`,
    );

  it('finds every family of routes, each of them under a rule', () => {
    const paths = routes.map(({ method, path }) => `${method} ${path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /api/:user_id/tasks',
        'POST /api/:user_id/webhooks',
        'GET /api/admin/stats',
        'GET /api/auth/me',
        'POST /api/auth/tokens',
        'GET /health/live',
        'GET /metrics',
      ]),
    );
    for (const route of routes) expect(() => contractScopes(route)).not.toThrow();
  });

  it.each(SCOPES)('with a %s token, each route answers as its scopes say', async (scope) => {
    const before = await snapshot();
    const checked: string[] = [];
    for (const route of routes) {
      const rule = contractScopes(route);
      for (const method of route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]) {
        const response: Response = await call(method, route.path, tokens[scope]);
        const at = `${method} ${route.path} with ${scope}: ${response.status}`;
        const permitted = rule === 'public' || rule.includes(scope);
        if (permitted) {
          expect([at, [401, 403].includes(response.status)]).toEqual([at, false]);
        } else {
          expect([at, response.status]).toEqual([at, 403]);
          // HEAD answers have no body to read the code from.
          if (method !== 'HEAD') expectProblem(response, 403, 'INSUFFICIENT_SCOPE');
        }
        checked.push(at);
      }
    }
    expect(checked.length).toBeGreaterThan(routes.length);
    // Writes that were let through had random ids: nothing of the admin's changed.
    expect(await snapshot()).toEqual(before);
  });

  it('the OpenAPI document offers the API token scheme, with those scopes, exactly there', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body;
    for (const route of routes) {
      const operation =
        document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      if (!operation) continue; // /metrics is not in the document
      const rule = contractScopes(route);
      const at = `${route.method} ${route.path}`;
      if (rule === 'public' || rule.length === 0) {
        expect([at, operation.security]).not.toEqual([
          at,
          expect.arrayContaining([{ apiToken: [] }]),
        ]);
      } else {
        // (an external issuer's token is offered there too: test/openapi.e2e-spec.ts)
        expect([at, operation.security]).toEqual([
          at,
          [{ bearer: [] }, { apiToken: [] }, { externalJwt: [] }],
        ]);
        expect([at, operation['x-api-token-scopes']]).toEqual([at, rule]);
      }
      if (rule !== 'public' && rule.length < SCOPES.length)
        expect([at, operation.responses['403']?.description]).toEqual([
          at,
          expect.stringContaining('INSUFFICIENT_SCOPE'),
        ]);
    }
  });
});
