import { connect } from 'node:net';
import type { Response } from 'supertest';
import { openApiDocumentOf } from '../src/app.setup';
import { registerAdmin } from './support/admin';
import { createTask, Registered, registerUser } from './support/builders';
import { type TestApp, useTestApp } from './support/test-app';

/**
 * Hostile input against every operation of the served OpenAPI document: long, malformed and
 * hostile path segments, queries, headers and bodies. Whatever comes back, it is never a 5xx, and
 * every 4xx is a problem document with a code, including errors raised before a route is reached
 * (router 404s, 414 for a long segment or URL, 431 for oversized headers, body parser errors).
 */

const LONG_SEGMENT = 'x'.repeat(150);
const HOSTILE_SEGMENTS = [
  LONG_SEGMENT,
  'y'.repeat(5000),
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '..%2F..%2Fetc%2Fpasswd',
  "'%20OR%201=1--",
  '%F0%9F%92%A9',
  '%20',
  '-1',
  '1e309',
  '00000000-0000-0000-0000-00000000000g',
  '__proto__',
  'constructor',
];
const HOSTILE_QUERY_VALUES = [
  '',
  'z'.repeat(3000),
  '-1',
  '0',
  '1e309',
  'NaN',
  '%00',
  '%ZZ',
  '[]',
  '{}',
  '__proto__',
  '2026-02-30T25:61:00Z',
  "' OR 1=1--",
];
const HOSTILE_BODIES: Array<[string, string]> = [
  ['truncated JSON', '{"title":'],
  ['null', 'null'],
  ['an array', '[]'],
  ['a string', '"title"'],
  ['a number', '1e309'],
  ['deep nesting', '['.repeat(40_000) + ']'.repeat(40_000)],
  ['a prototype key', '{"__proto__":{"role":"admin"},"constructor":{"prototype":{}}}'],
  ['wrong types', '{"title":7,"email":[],"password":{},"role":1,"tags":"x","limit":true}'],
  ['a NUL', '{"title":"a\\u0000b","name":"\\u0000"}'],
  ['lone surrogates', '{"title":"\\ud800","name":"\\udfff"}'],
  ['huge strings', JSON.stringify({ title: 'x'.repeat(90_000) })],
  ['too large', JSON.stringify({ title: 'x'.repeat(120_000) })],
];
const HOSTILE_HEADERS: Array<Record<string, string>> = [
  { 'If-Match': '"garbage' },
  { 'If-Match': '*' },
  { 'If-None-Match': 'W/"x", "'.repeat(200) },
  { 'Idempotency-Key': 'k'.repeat(5000) },
  { 'X-Request-Id': 'r'.repeat(5000) },
  { Authorization: 'Bearer ' + 'a.b.c'.repeat(800) },
  { Authorization: 'Basic Zm9vOmJhcg==' },
  { Authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
  { 'Content-Type': 'text/plain' },
  { 'Content-Type': 'application/json; charset=utf-16' },
  { 'Content-Type': 'multipart/form-data; boundary=x' },
  { Accept: 'application/xml' },
  { 'Accept-Version': '99' },
  { 'X-Forwarded-For': '::ffff:999.1.1.1, <script>' },
];

interface Operation {
  method: string;
  /** The OpenAPI path, `{user_id}` style. */
  path: string;
  query: string[];
  hasBody: boolean;
}

function operationsOf(document: Record<string, any>): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const operation = item[method];
      if (!operation) continue;
      const parameters: Array<{ in: string; name: string }> = operation.parameters ?? [];
      operations.push({
        method,
        path,
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: Boolean(operation.requestBody) || method !== 'get',
      });
    }
  }
  return operations;
}

jest.setTimeout(120_000);

describe('Fuzz: hostile input against every operation of the OpenAPI document', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES_PER_EMAIL: '1000000' });
  let user: Registered;
  let admin: Registered;
  /** The user the admin routes act on: hostile calls may ban or delete it. */
  let victim: Registered;
  let taskId: string;
  let operations: Operation[];
  const failures: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    user = await registerUser(t);
    admin = await registerAdmin(t);
    victim = await registerUser(t);
    taskId = (await createTask(t, user)).id;
    operations = operationsOf(openApiDocumentOf(t.app)!);
  });

  /** The caller the route wants, so hostile input reaches past the guards. */
  const authFor = (path: string) => (path.startsWith('/api/admin') ? admin.auth : user.auth);
  /** Path parameters filled with sane values, except the one being fuzzed. */
  const fill = (path: string, hostile?: { name: string; value: string }) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (hostile?.name === name) return hostile.value;
      if (name === 'user_id') return 'me';
      if (name === 'id' && path.includes('/tasks/')) return taskId;
      return name === 'id' && path.startsWith('/api/admin/users') ? victim.id : taskId;
    });

  function check(label: string, response: Response) {
    sent++;
    const problem = /^application\/problem\+json/.test(response.headers['content-type'] ?? '');
    const code = (response.body as { code?: unknown } | undefined)?.code;
    if (response.status >= 500) failures.push(`${label}: ${response.status} ${response.text}`);
    else if (response.status >= 400 && !(problem && typeof code === 'string'))
      failures.push(
        `${label}: ${response.status} ${response.headers['content-type']} ${response.text.slice(0, 200)}`,
      );
  }

  function call(method: string, url: string, headers: Record<string, string>, body?: string) {
    const request = t.http()[method as 'get'](url).set(headers);
    if (body === undefined) return request;
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
      request.set('Content-Type', 'application/json');
    return request.send(body);
  }

  it('hostile path segments', async () => {
    for (const operation of operations) {
      for (const name of [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        for (const value of HOSTILE_SEGMENTS) {
          const url = fill(operation.path, { name, value });
          const label = `${operation.method.toUpperCase()} ${url.slice(0, 120)}`;
          check(label, await call(operation.method, url, authFor(operation.path)));
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('hostile query values', async () => {
    for (const operation of operations) {
      const url = fill(operation.path);
      for (const name of [...operation.query, 'unknown_param']) {
        for (const value of HOSTILE_QUERY_VALUES) {
          const label = `${operation.method.toUpperCase()} ${url}?${name}=${value.slice(0, 40)}`;
          const query = `${encodeURIComponent(name)}=${value}`;
          check(label, await call(operation.method, `${url}?${query}`, authFor(operation.path)));
        }
        // The same parameter twice arrives as an array.
        const label = `${operation.method.toUpperCase()} ${url}?${name}=a&${name}=b`;
        check(label, await call(operation.method, `${url}?${name}=a&${name}=b`, authFor(url)));
      }
    }
    expect(failures).toEqual([]);
  });

  it('hostile headers', async () => {
    for (const operation of operations) {
      const url = fill(operation.path);
      for (const headers of HOSTILE_HEADERS) {
        const label = `${operation.method.toUpperCase()} ${url} ${JSON.stringify(headers).slice(0, 80)}`;
        const body = operation.hasBody ? '{}' : undefined;
        check(
          label,
          await call(operation.method, url, { ...authFor(operation.path), ...headers }, body),
        );
      }
    }
    expect(failures).toEqual([]);
  });

  it('hostile bodies', async () => {
    for (const operation of operations.filter((o) => o.hasBody)) {
      const url = fill(operation.path);
      for (const [name, body] of HOSTILE_BODIES) {
        const label = `${operation.method.toUpperCase()} ${url} with ${name}`;
        check(label, await call(operation.method, url, authFor(operation.path), body));
      }
    }
    expect(failures).toEqual([]);
  });

  it('methods and paths the router does not have', async () => {
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    for (const operation of operations) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete', 'options']) {
        if (documented.has(`${method} ${operation.path}`)) continue;
        const url = fill(operation.path);
        check(`${method.toUpperCase()} ${url}`, await call(method, url, authFor(url)));
      }
    }
    for (const url of ['/', '/api', '/api/', '/api/me', '/api//tasks', '/%', '/api/me/tasks/']) {
      check(`GET ${url}`, await call('get', url, user.auth));
    }
    expect(failures).toEqual([]);
  });

  it('a URL over 8 KiB is 414, a path segment over 100 characters is 414', async () => {
    const longUrl = await t
      .http()
      .get(`/api/me/tasks?q=${'q'.repeat(9000)}`)
      .set(user.auth);
    check('long URL', longUrl);
    expect(longUrl.status).toBe(414);
    expect(longUrl.body.code).toBe('URI_TOO_LONG');
    const longSegment = await t.http().get(`/api/admin/users/${LONG_SEGMENT}`).set(admin.auth);
    check('long segment', longSegment);
    expect(longSegment.status).toBe(414);
    expect(longSegment.headers['x-request-id']).toBeDefined();
    expect(failures).toEqual([]);
  });

  it('headers over the server limit are 431 problem+json, and the server goes on', async () => {
    const raw = await rawRequest(
      t,
      `GET /api/me/tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    );
    sent++;
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toContain('"code":"HEADERS_TOO_LARGE"');
    const malformed = await rawRequest(t, `GET /api/me/tasks HTTP/1.1\r\nHost x\r\n\r\n`);
    sent++;
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(malformed).toContain('"code":"BAD_REQUEST"');
    await t.http().get('/health/live').expect(200);
  });

  it('sent a thousand requests or more, and the server still serves', async () => {
    await t.http().get('/api/me/tasks').set(user.auth).expect(200);
    // The fuzzed DELETE may well have removed the task: a new one still round-trips.
    const fresh = await createTask(t, user);
    await t.http().get(`/api/me/tasks/${fresh.id}`).set(user.auth).expect(200);
    console.log(`fuzz: ${sent} hostile requests over ${operations.length} operations`);
    expect(sent).toBeGreaterThan(1000);
  });
});

/** Sends bytes as they are (supertest would refuse to send such a request) and reads the answer. */
async function rawRequest(t: TestApp, bytes: string): Promise<string> {
  const server = t.app.getHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('close', () => resolve(answer));
      socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
      socket.setTimeout(5000, () => socket.destroy());
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
