import { expectProblem } from './support/builders';
import { type TestApp, useTestApp } from './support/test-app';

const ALLOWED = 'https://app.example.com';
const REFUSED = 'https://evil.example.net';

/** A CORS preflight of `method` on the task list from `origin`, announcing `headers` if given. */
const preflight = (t: TestApp, origin: string, method: string, headers?: string) => {
  const call = t
    .http()
    .options('/api/me/tasks')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', method);
  return headers === undefined ? call : call.set('Access-Control-Request-Headers', headers);
};

describe('Security headers and CORS', () => {
  const t = useTestApp({ CORS_ORIGINS: `${ALLOWED},https://admin.example.com` });

  describe('headers', () => {
    it('API responses carry the security headers and no X-Powered-By', async () => {
      for (const response of [
        await t.http().get('/health/live'),
        await t.http().get('/api/auth/me'),
      ]) {
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-powered-by']).toBeUndefined();
        expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
        expect(response.headers['referrer-policy']).toBe('no-referrer');
        const csp = response.headers['content-security-policy'];
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      }
    });

    it('Swagger UI still works: /docs and every script and stylesheet it references load, within the CSP', async () => {
      const page = await t.http().get('/docs').redirects(1).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const csp = page.headers['content-security-policy'];
      // Swagger UI needs inline styles and data: images; its scripts are all served from here.
      expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(csp).toMatch(/img-src 'self' data:/);
      expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script to allow
      const assets = [
        ...page.text.matchAll(/<script src="([^"]+)"/g),
        ...page.text.matchAll(/<link rel="stylesheet" type="text\/css" href="([^"]+)"/g),
      ].map((match) => match[1]);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        expect(asset).not.toMatch(/^https?:/); // same origin, so 'self' covers it
        const url = new URL(asset, 'http://localhost/docs').pathname;
        const response = await t.http().get(url).expect(200);
        expect(response.headers['content-type']).toMatch(/javascript|css/);
      }
      await t.http().get('/docs-json').expect(200);
    });
  });

  describe('CORS', () => {
    it('an allowed origin gets Access-Control-Allow-Origin (its own, never *) and the exposed headers', async () => {
      const response = await t.http().get('/health/live').set('Origin', ALLOWED).expect(200);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      expect(response.headers['access-control-expose-headers']).toMatch(/X-Total-Count/i);
      expect(response.headers['vary']).toMatch(/Origin/i);
    });

    it('a preflight from an allowed origin is answered with the methods and headers the API uses', async () => {
      const response = await preflight(t, ALLOWED, 'PATCH', 'authorization,content-type,if-match');
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-methods']).toMatch(/PATCH/);
      expect(response.headers['access-control-allow-headers']).toMatch(/Authorization/i);
      expect(response.headers['access-control-allow-headers']).toMatch(/If-Match/i);
    });

    it('a refused origin gets no CORS headers, on a request or a preflight', async () => {
      const simple = await t.http().get('/health/live').set('Origin', REFUSED).expect(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      const refused = await preflight(t, REFUSED, 'DELETE', 'authorization');
      expect(refused.status).toBeLessThan(500);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('an origin that merely starts like an allowed one is refused', async () => {
      const response = await t
        .http()
        .get('/health/live')
        .set('Origin', `${ALLOWED}.evil.net`)
        .expect(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('CORS without CORS_ORIGINS', () => {
  const t = useTestApp();

  it('no origin gets cross-origin access', async () => {
    const response = await t.http().get('/health/live').set('Origin', ALLOWED).expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const answer = await preflight(t, ALLOWED, 'POST');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expectProblem(answer, 404, 'NOT_FOUND');
  });
});
