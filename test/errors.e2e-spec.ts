import type { Response } from 'supertest';
import { BODY_LIMIT_BYTES } from '../src/app.setup';
import { createTask, expectProblem, Registered, registerUser, UUID } from './support/builders';
import { authApi } from './support/auth';
import { taskCount as countTasks } from './support/db';
import { patchTask } from './support/task-model';
import { useTestApp } from './support/test-app';

/** What must never reach a client: stack frames, source paths, SQL, driver internals. */
const LEAKS =
  /\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE FROM\b|QueryFailedError|TypeORM|RangeError|stack/i;

/** The RFC 9457 shape, the right status, an UPPER_SNAKE code and nothing leaked. */
function expectCleanProblem(response: Response) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^https:\/\//),
      title: expect.any(String),
      status: response.status,
      detail: expect.any(String),
      code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
    }),
  );
  expect(response.body.detail.length).toBeGreaterThan(0);
  expect(response.text).not.toMatch(LEAKS);
}

describe('Errors, request ids and service endpoints', () => {
  const t = useTestApp();
  let user: Registered;
  beforeAll(async () => {
    user = await registerUser(t);
  });

  const taskCount = () => countTasks(t, user.id);
  const { login, updateMe } = authApi(t);
  const postRaw = (contentType: string | undefined, body: string | Buffer) => {
    const call = t.http().post('/api/me/tasks').set(user.auth);
    if (contentType) call.set('Content-Type', contentType);
    return call.send(body);
  };
  /** A postRaw that must store no task (it is checked before the answer is returned). */
  const postRejected = async (contentType: string | undefined, body: string | Buffer) => {
    const before = await taskCount();
    const response = await postRaw(contentType, body);
    expect(await taskCount()).toBe(before);
    return response;
  };

  describe('bad bodies get a 4xx problem and create nothing', () => {
    it.each([
      ['truncated JSON', '{"title":'],
      ['a trailing comma', '{"title":"x",}'],
      ['single quotes', "{'title':'x'}"],
      ['not JSON at all', 'title=x'],
    ])('malformed JSON (%s): 400', async (_, body) => {
      const response = await postRejected('application/json', body);
      expectProblem(response, 400, 'BAD_REQUEST');
      expect(response.body.detail).toMatch(/not valid JSON/);
      expectCleanProblem(response);
    });

    it('a body over 100 KiB: 413 PAYLOAD_TOO_LARGE saying so', async () => {
      const big = JSON.stringify({ title: 'big', description: 'd'.repeat(200 * 1024) });
      const response = await postRejected('application/json', big);
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(response.body.detail).toMatch(/100 KiB/);
      expectCleanProblem(response);
    });

    it('the limit is exactly 100 KiB', async () => {
      const bodyOf = (bytes: number) => {
        const start = '{"title":"edge","description":"';
        return `${start}${'d'.repeat(bytes - start.length - 2)}"}`;
      };
      expect(Buffer.byteLength(bodyOf(BODY_LIMIT_BYTES))).toBe(100 * 1024);
      // At the limit the body is read and validated (the description is too long for a task).
      const atLimit = await postRaw('application/json', bodyOf(BODY_LIMIT_BYTES));
      expectProblem(atLimit, 400, 'VALIDATION_FAILED');
      expect(atLimit.body.errors).toEqual([{ field: 'description', message: expect.any(String) }]);
      expectProblem(
        await postRaw('application/json', bodyOf(BODY_LIMIT_BYTES + 1)),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it.each([
      ['text/plain', 'text/plain', '{"title":"x"}'],
      ['a form', 'application/x-www-form-urlencoded', 'title=x'],
      ['multipart', 'multipart/form-data; boundary=zzz', '--zzz\r\n\r\nx\r\n--zzz--'],
      ['XML', 'application/xml', '<task><title>x</title></task>'],
      ['no content type', undefined, Buffer.from('{"title":"x"}')],
    ])('a wrong content type (%s): 415 naming application/json', async (_, type, body) => {
      const response = await postRejected(type, body);
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(response.body.detail).toMatch(/application\/json/);
      expectCleanProblem(response);
    });

    it('JSON with a charset parameter is JSON', async () => {
      await postRaw('application/json; charset=utf-8', '{"title":"charset"}').expect(201);
    });

    it.each([
      ['an array', '[{"title":"x"}]'],
      ['a string', '"x"'],
      ['a number', '42'],
      ['true', 'true'],
      ['null', 'null'],
    ])('a JSON body that is %s: 400 naming body', async (_, body) => {
      const response = await postRejected('application/json', body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'body', message: expect.any(String) }]);
    });

    it.each([
      ['__proto__', '{"title":"x","__proto__":{"completed":true}}', '__proto__'],
      [
        'constructor',
        '{"title":"x","constructor":{"prototype":{"completed":true}}}',
        'constructor',
      ],
    ])('a %s key is an unknown field like any other: 400', async (_, body, field) => {
      const response = await postRejected('application/json', body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('a lone surrogate (which would be stored as U+FFFD): 400 naming the field', async () => {
      const response = await postRejected('application/json', '{"title":"a\\ud800b"}');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'title', message: expect.any(String) }]);
      const emoji = await postRaw('application/json', '{"title":"\\ud83d\\ude00"}').expect(201);
      expect(emoji.body.title).toBe('😀');
    });

    it('absurdly deep nesting: 400, not a crash', async () => {
      const depth = 5000;
      const response = await postRaw(
        'application/json',
        `{"title":"x","tags":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      );
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expectCleanProblem(response);
    });

    it('a NUL character (which PostgreSQL cannot store): 400 naming the field', async () => {
      const before = await taskCount();
      const title = await t.http().post('/api/me/tasks').set(user.auth).send({ title: 'a\u0000b' });
      expectProblem(title, 400, 'VALIDATION_FAILED');
      expect(title.body.errors).toEqual([{ field: 'title', message: expect.any(String) }]);
      const tag = await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .send({ title: 'ok', tags: ['fine', 'b\u0000d'] });
      expectProblem(tag, 400, 'VALIDATION_FAILED');
      expect(tag.body.errors).toEqual([{ field: 'tags.1', message: expect.any(String) }]);
      const task = await createTask(t, user);
      expectProblem(
        await patchTask(t, user, task.id, { description: '\u0000' }),
        400,
        'VALIDATION_FAILED',
      );
      expect(await taskCount()).toBe(before + 1);
      expectProblem(
        await login({ email: 'a\u0000@example.com', password: 'x' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await updateMe(user, { name: 'Nul\u0000' }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/nope'],
      ['GET', '/api'],
      ['GET', '/api/me/tasks/00000000-0000-4000-8000-000000000000/extra'],
      ['PUT', '/api/me/tasks'],
      ['POST', '/health/live'],
    ])('%s %s: 404 NOT_FOUND problem, with or without a token', async (method, path) => {
      for (const auth of [{}, user.auth]) {
        const response = await t
          .http()
          [method.toLowerCase() as 'get' | 'put' | 'post'](path)
          .set(auth);
        expectProblem(response, 404, 'NOT_FOUND');
        expect(response.body.detail).toBe(`No route ${method} ${path}.`);
        expectCleanProblem(response);
      }
    });
  });

  it('every kind of error the API gives has the problem shape and leaks nothing', async () => {
    const task = await createTask(t, user);
    const responses = await Promise.all([
      t.http().get('/api/me/tasks'),
      t.http().get('/api/me/tasks').set('Authorization', 'Bearer nope'),
      t.http().get(`/api/00000000-0000-4000-8000-000000000000/tasks`).set(user.auth),
      t.http().get('/api/me/tasks/00000000-0000-4000-8000-000000000000').set(user.auth),
      t.http().get('/api/me/tasks/not-a-uuid').set(user.auth),
      t.http().get('/api/me/tasks?limit=1000').set(user.auth),
      patchTask(t, user, task.id, { priority: 'urgent' }),
      t.http().delete('/api/me/tasks?status=pending').set(user.auth),
      t.http().post('/api/auth/login').send({ email: user.email, password: 'wrong-password' }),
      t.http().post('/api/auth/register').send({ email: user.email, password: 'password-123' }),
      postRaw('application/json', '{'),
      postRaw('text/plain', 'x'),
      t.http().get('/nowhere'),
    ]);
    expect(responses.map((response) => response.status)).toEqual([
      401, 401, 403, 404, 400, 400, 400, 400, 401, 409, 400, 415, 404,
    ]);
    for (const response of responses) expectCleanProblem(response);
  });

  describe('X-Request-Id', () => {
    const sample = (requestId?: string) => {
      const withId = <T extends { set: (name: string, value: string) => T }>(call: T) =>
        requestId === undefined ? call : call.set('X-Request-Id', requestId);
      return Promise.all([
        withId(t.http().get('/health/live')),
        withId(t.http().get('/api/me/tasks').set(user.auth)),
        withId(t.http().post('/api/me/tasks').set(user.auth).send({ title: 'rid' })),
        withId(t.http().post('/api/me/tasks').set(user.auth).send({ title: '' })),
        withId(t.http().get('/api/me/tasks')),
        withId(t.http().get('/nowhere')),
        withId(postRaw('application/json', '{')),
        withId(postRaw('text/plain', 'x')),
        withId(
          t
            .http()
            .post('/api/me/tasks')
            .set(user.auth)
            .send({ title: 'x', description: 'd'.repeat(BODY_LIMIT_BYTES) }),
        ),
      ]);
    };
    const STATUSES = [200, 200, 201, 400, 401, 404, 400, 415, 413];

    it('every response carries a generated one when the caller sent none, each its own', async () => {
      const responses = await sample();
      expect(responses.map((response) => response.status)).toEqual(STATUSES);
      const ids = responses.map((response) => response.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('the 204 of a delete carries one too', async () => {
      const task = await createTask(t, user);
      const deletion = t.http().delete(`/api/me/tasks/${task.id}`).set(user.auth);
      const response = await deletion.set('X-Request-Id', 'delete-1').expect(204);
      expect(response.headers['x-request-id']).toBe('delete-1');
    });

    it.each(['client-req-123', 'trace.id:1_2-3', 'a'.repeat(128)])(
      'a sane one (%s) is echoed, errors included',
      async (requestId) => {
        const responses = await sample(requestId);
        expect(responses.map((response) => response.status)).toEqual(STATUSES);
        for (const response of responses) {
          expect(response.headers['x-request-id']).toBe(requestId);
        }
      },
    );

    it.each([
      ['too long', 'a'.repeat(129)],
      ['with spaces', 'has some spaces'],
      ['with markup', '<script>alert(1)</script>'],
      ['with a semicolon', 'id;drop'],
    ])('an insane one (%s) is replaced by a generated one', async (_, requestId) => {
      const responses = await sample(requestId);
      for (const response of responses) {
        expect(response.headers['x-request-id']).toMatch(UUID);
        expect(response.headers['x-request-id']).not.toBe(requestId);
      }
    });
  });

  describe('service endpoints need no token', () => {
    it('GET /health/live: 200', async () => {
      const response = await t.http().get('/health/live').expect(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready: 200 while the database answers', async () => {
      const response = await t.http().get('/health/ready').expect(200);
      expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });

    it('GET /docs: the Swagger UI', async () => {
      const response = await t.http().get('/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toMatch(/swagger/i);
    });

    it('GET /docs-json: an OpenAPI 3 document with the bearer scheme and the task routes', async () => {
      const response = await t.http().get('/docs-json').expect(200);
      const document = response.body;
      expect(document.openapi).toMatch(/^3\./);
      expect(document.components.securitySchemes).toEqual(
        expect.objectContaining({
          bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        }),
      );
      const methods = (path: string) => Object.keys(document.paths[path] ?? {}).sort();
      expect(methods('/api/{user_id}/tasks')).toEqual(['delete', 'get', 'post']);
      expect(methods('/api/{user_id}/tasks/{id}')).toEqual(['delete', 'get', 'patch', 'put']);
      expect(methods('/api/{user_id}/tasks/{id}/complete')).toEqual(['patch']);
      for (const path of [
        '/api/{user_id}/tasks',
        '/api/{user_id}/tasks/{id}',
        '/api/{user_id}/tasks/{id}/complete',
      ]) {
        for (const [method, operation] of Object.entries<any>(document.paths[path])) {
          // An access token, an API token with a tasks scope, or an external issuer's token.
          expect([method, operation.security]).toEqual([
            method,
            [{ bearer: [] }, { apiToken: [] }, { externalJwt: [] }],
          ]);
          expect(operation.responses['401'].content).toHaveProperty(['application/problem+json']);
          expect(operation.responses['403']).toBeDefined();
        }
      }
      expect(document.paths['/api/{user_id}/tasks/{id}'].get.responses['404']).toBeDefined();
      expect(document.paths['/api/{user_id}/tasks'].post.responses['201']).toBeDefined();
    });
  });
});
