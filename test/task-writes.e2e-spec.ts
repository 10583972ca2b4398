import { IdempotencyStore } from '../src/common/idempotency';
import { createTask, expectProblem, registerUser, type Registered } from './support/builders';
import { taskCount } from './support/db';
import { completeTask, patchTask } from './support/task-model';
import { useTestApp } from './support/test-app';

describe('Safe writes: ETag / If-Match and Idempotency-Key', () => {
  const t = useTestApp();
  let user: Registered;
  beforeAll(async () => {
    user = await registerUser(t);
  });

  const row = async (id: string) =>
    (
      await t.sql<{ title: string; version: number; completed: boolean }>(
        'SELECT title, version, completed FROM tasks WHERE id = $1',
        [id],
      )
    )[0];

  describe('ETag / If-Match', () => {
    /** A PATCH of the user's task sent with `If-Match: ifMatch`. */
    const patchIf = (id: string, ifMatch: string, body: object) =>
      patchTask(t, user, id, body, ifMatch);
    it('GET returns the ETag; a write with it succeeds and moves the ETag on', async () => {
      const task = await createTask(t, user, { title: 'v1' });
      const got = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(got.headers.etag).toBe('"1"');
      const patched = await patchIf(task.id, got.headers.etag, { title: 'v2' }).expect(200);
      expect(patched.headers.etag).toBe('"2"');
      expect(patched.body.title).toBe('v2');
    });

    it.each([
      ['PUT', (id: string) => ['put', `/api/me/tasks/${id}`, { title: 'lost update' }]],
      ['PATCH', (id: string) => ['patch', `/api/me/tasks/${id}`, { title: 'lost update' }]],
      ['PATCH complete', (id: string) => ['patch', `/api/me/tasks/${id}/complete`, undefined]],
      ['DELETE', (id: string) => ['delete', `/api/me/tasks/${id}`, undefined]],
    ] as const)('%s with a stale If-Match gets 412 and changes nothing', async (_, call) => {
      const task = await createTask(t, user, { title: 'original' });
      // Another tab writes first.
      await patchTask(t, user, task.id, { title: 'tab 2' }).expect(200);
      const [method, url, body] = call(task.id) as unknown as [string, string, object | undefined];
      const response = await (t.http() as any)
        [method](url)
        .set(user.auth)
        .set('If-Match', '"1"')
        .send(body);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(response.headers.etag).toBe('"2"');
      expect(await row(task.id)).toEqual({ title: 'tab 2', version: 2, completed: false });
    });

    it('the fresh ETag works for DELETE and the complete toggle', async () => {
      const task = await createTask(t, user);
      const done = await completeTask(t, user, task.id, undefined, '"1"').expect(200);
      expect(done.body.completed).toBe(true);
      await t
        .http()
        .delete(`/api/me/tasks/${task.id}`)
        .set(user.auth)
        .set('If-Match', done.headers.etag)
        .expect(204);
      expect(await row(task.id)).toBeUndefined();
    });

    it('a missing or foreign task is 404 whatever If-Match says', async () => {
      const other = await registerUser(t);
      const theirs = await createTask(t, other);
      for (const tag of ['"1"', '"99"', '*']) {
        expectProblem(await patchIf(theirs.id, tag, { title: 'x' }), 404, 'TASK_NOT_FOUND');
        expectProblem(
          await t.http().delete(`/api/me/tasks/${theirs.id}`).set(user.auth).set('If-Match', tag),
          404,
          'TASK_NOT_FOUND',
        );
      }
      expect((await row(theirs.id)).version).toBe(1);
    });

    it('If-Match: * and a list containing the current ETag match; weak tags never do', async () => {
      const task = await createTask(t, user);
      await patchIf(task.id, '*', { title: 'a' }).expect(200);
      await patchIf(task.id, '"7", "2"', { title: 'b' }).expect(200);
      expectProblem(await patchIf(task.id, 'W/"3"', { title: 'c' }), 412, 'PRECONDITION_FAILED');
      // Even a write that changes nothing checks the precondition.
      expectProblem(await patchIf(task.id, '"1"', {}), 412, 'PRECONDITION_FAILED');
      expect(await row(task.id)).toMatchObject({ title: 'b', version: 3 });
    });

    it.each(['3', 'abc', '"3', '"3",,x'])(
      'a malformed If-Match (%s) is 400 and changes nothing',
      async (value) => {
        const task = await createTask(t, user, { title: 'kept' });
        const response = await patchIf(task.id, value, { title: 'x' });
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors[0].field).toBe('If-Match');
        expect(await row(task.id)).toMatchObject({ title: 'kept', version: 1 });
      },
    );
  });

  describe('If-None-Match on GET of one task (conditional GET)', () => {
    const getIfNoneMatch = (id: string, value: string) =>
      t.http().get(`/api/me/tasks/${id}`).set(user.auth).set('If-None-Match', value);

    it('the current ETag: 304 with no body, and the ETag again', async () => {
      const task = await createTask(t, user, { title: 'cached' });
      const got = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      const response = await getIfNoneMatch(task.id, got.headers.etag);
      expect(response.status).toBe(304);
      expect(response.text ?? '').toBe('');
      expect(response.headers['content-length'] ?? '0').toBe('0');
      expect(response.headers.etag).toBe(got.headers.etag);
      // A list holding the current ETag matches too.
      expect((await getIfNoneMatch(task.id, `"999", ${got.headers.etag}`)).status).toBe(304);
      // After a write, the new ETag is the one that answers 304.
      const patched = await patchTask(t, user, task.id, { title: 'changed' }).expect(200);
      expect((await getIfNoneMatch(task.id, got.headers.etag)).status).toBe(200);
      expect((await getIfNoneMatch(task.id, patched.headers.etag)).status).toBe(304);
    });

    it('a stale ETag: 200 with the task and its new ETag', async () => {
      const task = await createTask(t, user, { title: 'v1' });
      const first = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      await patchTask(t, user, task.id, { title: 'v2' }).expect(200);
      const response = await getIfNoneMatch(task.id, first.headers.etag).expect(200);
      expect(response.body).toMatchObject({ id: task.id, title: 'v2' });
      expect(response.headers.etag).not.toBe(first.headers.etag);
      expect(response.headers.etag).toBe('"2"');
    });

    it('a missing or foreign task is 404 whatever If-None-Match says', async () => {
      const other = await registerUser(t);
      const theirs = await createTask(t, other);
      for (const tag of ['"1"', '*']) {
        expectProblem(await getIfNoneMatch(theirs.id, tag), 404, 'TASK_NOT_FOUND');
      }
    });
  });

  describe('Idempotency-Key on POST /api/{user_id}/tasks', () => {
    const post = (who: Registered, key: string, body: object) =>
      t.http().post('/api/me/tasks').set(who.auth).set('Idempotency-Key', key).send(body);

    it('a retry returns the first response (status, body, Location, ETag) and creates nothing', async () => {
      const who = await registerUser(t);
      const first = await post(who, 'key-1', { title: 'Pay rent', tags: ['home'] }).expect(201);
      const again = await post(who, 'key-1', { tags: ['home'], title: 'Pay rent' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers.etag).toBe('"1"');
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await taskCount(t, who.id)).toBe(1);
    });

    it('keys are per user', async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      const fromA = await post(a, 'shared', { title: 'x' }).expect(201);
      const fromB = await post(b, 'shared', { title: 'x' }).expect(201);
      expect(fromB.body.id).not.toBe(fromA.body.id);
      expect(fromB.body.user_id).toBe(b.id);
    });

    it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const who = await registerUser(t);
      await post(who, 'k', { title: 'one' }).expect(201);
      expectProblem(await post(who, 'k', { title: 'two' }), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await taskCount(t, who.id)).toBe(1);
    });

    it('concurrent requests with one key create exactly one task', async () => {
      const who = await registerUser(t);
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => post(who, 'race', { title: 'once' })),
      );
      const ids = new Set<string>();
      for (const response of responses) {
        if (response.status === 409) expectProblem(response, 409, 'IDEMPOTENCY_KEY_IN_PROGRESS');
        else {
          expect(response.status).toBe(201);
          ids.add(response.body.id);
        }
      }
      expect(ids.size).toBe(1);
      expect(await taskCount(t, who.id)).toBe(1);
    });

    it('a failed request does not use up its key', async () => {
      const who = await registerUser(t);
      expectProblem(await post(who, 'retry-me', { title: '' }), 400, 'VALIDATION_FAILED');
      await post(who, 'retry-me', { title: 'fixed' }).expect(201);
    });

    it('keys expire after 24 hours: then the key is new again, and the purge removes them', async () => {
      const who = await registerUser(t);
      const first = await post(who, 'old', { title: 'day 1' }).expect(201);
      await t.sql(
        `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1`,
        [who.id],
      );
      const second = await post(who, 'old', { title: 'day 2' }).expect(201);
      expect(second.body.id).not.toBe(first.body.id);
      await post(who, 'stale', { title: 'x' }).expect(201);
      await t.sql(
        `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1 AND key = 'stale'`,
        [who.id],
      );
      expect(await t.app.get(IdempotencyStore).purgeExpired()).toBeGreaterThanOrEqual(1);
      const keys = await t.sql<{ key: string }>(
        'SELECT key FROM idempotency_keys WHERE user_id = $1',
        [who.id],
      );
      expect(keys.map((k) => k.key)).toEqual(['old']);
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(256)],
      ['with spaces', 'has space'],
      ['non-ASCII', 'clé'],
    ])('a bad key (%s) is 400 and creates nothing', async (_, key) => {
      const who = await registerUser(t);
      const response = await t
        .http()
        .post('/api/me/tasks')
        .set(who.auth)
        .set('Idempotency-Key', encodeURI(key) === key ? key : Buffer.from(key).toString('latin1'))
        .send({ title: 'x' });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors[0].field).toBe('Idempotency-Key');
      expect(await taskCount(t, who.id)).toBe(0);
    });
  });
});
