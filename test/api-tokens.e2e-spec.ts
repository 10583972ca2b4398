import { createHash } from 'node:crypto';
import { adminApi, registerAdmin } from './support/admin';
import {
  API_TOKEN_FIELDS,
  createApiToken,
  postApiToken,
  type CreatedApiToken,
} from './support/api-tokens';
import { authApi } from './support/auth';
import { createTask, expectProblem, registerUser, type Registered, UUID } from './support/builders';
import { completeTask } from './support/task-model';
import { useTestApp } from './support/test-app';

const TOKEN_SHAPE = /^tap_[A-Za-z0-9_-]{43}$/;

describe('API tokens', () => {
  const t = useTestApp();
  const auth = authApi(t);
  const listTokens = (user: Pick<Registered, 'auth'>) =>
    t.http().get('/api/auth/tokens').set(user.auth);
  const deleteToken = (user: Pick<Registered, 'auth'>, id: string) =>
    t.http().delete(`/api/auth/tokens/${id}`).set(user.auth);
  const tokenRow = async (id: string) =>
    (
      await t.sql<{ xmin: string; last_used_at: Date | null; age_ms: number | null }>(
        `SELECT xmin::text AS xmin, last_used_at,
                (extract(epoch FROM now() - last_used_at) * 1000)::float8 AS age_ms
           FROM api_tokens WHERE id = $1`,
        [id],
      )
    )[0];
  /** A token's answer to GET /api/auth/me: 200 while it works. */
  const expectWorks = async (token: CreatedApiToken, userId: string) => {
    const response = await t.http().get('/api/auth/me').set(token.auth);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(userId);
  };
  const expectRefused = async (authorization: string) => {
    for (const path of ['/api/auth/me', '/api/me/tasks']) {
      const response = await t.http().get(path).set('Authorization', authorization);
      expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  };

  describe('create, list, delete', () => {
    let owner: Registered;
    beforeAll(async () => {
      owner = await registerUser(t);
    });

    it('creates a token: 201 with the token shown once, stored only as a hash', async () => {
      const response = await postApiToken(t, owner, {
        name: '  Nightly export  ',
        scopes: ['tasks:write', 'tasks:read'],
      });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual([...API_TOKEN_FIELDS, 'token'].sort());
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Nightly export',
        // One order, whatever order they were sent in.
        scopes: ['tasks:read', 'tasks:write'],
        created_at: expect.any(String),
        expires_at: null,
        last_used_at: null,
        token: expect.stringMatching(TOKEN_SHAPE),
      });
      const rows = await t.sql<{ row: string; hash: Buffer }>(
        `SELECT to_json(a)::text AS row, token_hash AS hash FROM api_tokens a WHERE id = $1`,
        [response.body.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].hash).toHaveLength(32);
      expect(rows[0].row).not.toContain(response.body.token.slice('tap_'.length));
      // Keyed: not a bare hash anyone could compute from a guessed token.
      expect(rows[0].hash.equals(createHash('sha256').update(response.body.token).digest())).toBe(
        false,
      );
    });

    it('every token is different', async () => {
      const a = await createApiToken(t, owner, ['tasks:read']);
      const b = await createApiToken(t, owner, ['tasks:read']);
      expect(a.token).not.toBe(b.token);
    });

    it('expires_in_days sets expires_at that many days after created_at; 1 and 365 are fine', async () => {
      for (const days of [1, 30, 365]) {
        const token = await createApiToken(t, owner, ['tasks:read'], { expires_in_days: days });
        expect(Date.parse(token.expires_at!) - Date.parse(token.created_at)).toBe(
          days * 86_400_000,
        );
      }
      const never = await createApiToken(t, owner, ['tasks:read'], { expires_in_days: null });
      expect(never.expires_at).toBeNull();
    });

    it('lists the caller’s tokens, newest first, never with the token itself', async () => {
      const user = await registerUser(t);
      const older = await createApiToken(t, user, ['tasks:read']);
      const newer = await createApiToken(t, user, ['admin'], { expires_in_days: 7 });
      await createApiToken(t, owner, ['tasks:read']);
      const response = await listTokens(user).expect(200);
      const { token: _older, auth: _a, ...olderListed } = older;
      const { token: _newer, auth: _b, ...newerListed } = newer;
      expect(response.body).toEqual([newerListed, olderListed]);
      for (const listed of response.body) {
        expect(Object.keys(listed).sort()).toEqual([...API_TOKEN_FIELDS].sort());
      }
      expect(JSON.stringify(response.body)).not.toMatch(/tap_/);
    });

    it('deletes a token: 204, gone from the list, 401 from the next request; again 404', async () => {
      const user = await registerUser(t);
      const token = await createApiToken(t, user, ['tasks:read']);
      const kept = await createApiToken(t, user, ['tasks:read']);
      await expectWorks(token, user.id);
      await deleteToken(user, token.id).expect(204);
      await expectRefused(token.auth.Authorization);
      await expectWorks(kept, user.id);
      expect((await listTokens(user).expect(200)).body.map((row: any) => row.id)).toEqual([
        kept.id,
      ]);
      expectProblem(await deleteToken(user, token.id), 404, 'API_TOKEN_NOT_FOUND');
    });

    it('a malformed token id is 400 naming id', async () => {
      const response = await deleteToken(owner, 'not-a-uuid');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
    });

    it('without a token, every token route is 401', async () => {
      for (const call of [
        t
          .http()
          .post('/api/auth/tokens')
          .send({ name: 'x', scopes: ['tasks:read'] }),
        t.http().get('/api/auth/tokens'),
        t.http().delete('/api/auth/tokens/00000000-0000-4000-8000-000000000000'),
      ]) {
        const response = await call;
        expectProblem(response, 401, 'UNAUTHENTICATED');
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
    });
  });

  describe('validation: each bad field is a 400 naming it, and nothing is created', () => {
    let owner: Registered;
    beforeAll(async () => {
      owner = await registerUser(t);
    });
    const valid = { name: 'Script', scopes: ['tasks:read'] };

    it.each<[string, Record<string, unknown>, string]>([
      ['no name', { scopes: ['tasks:read'] }, 'name'],
      ['an empty name', { ...valid, name: '' }, 'name'],
      ['a blank name', { ...valid, name: '   ' }, 'name'],
      ['a name of 101 characters', { ...valid, name: 'x'.repeat(101) }, 'name'],
      ['a name that is not a string', { ...valid, name: 42 }, 'name'],
      ['no scopes', { name: 'Script' }, 'scopes'],
      ['empty scopes', { ...valid, scopes: [] }, 'scopes'],
      ['an unknown scope', { ...valid, scopes: ['tasks:read', 'tasks:delete'] }, 'scopes'],
      ['a scope in another case', { ...valid, scopes: ['Tasks:Read'] }, 'scopes'],
      ['scopes as a string', { ...valid, scopes: 'tasks:read' }, 'scopes'],
      ['a repeated scope', { ...valid, scopes: ['tasks:read', 'tasks:read'] }, 'scopes'],
      ['a scope that is not a string', { ...valid, scopes: [1] }, 'scopes'],
      ['expires_in_days 0', { ...valid, expires_in_days: 0 }, 'expires_in_days'],
      ['expires_in_days 366', { ...valid, expires_in_days: 366 }, 'expires_in_days'],
      ['expires_in_days -1', { ...valid, expires_in_days: -1 }, 'expires_in_days'],
      ['expires_in_days 1.5', { ...valid, expires_in_days: 1.5 }, 'expires_in_days'],
      ['expires_in_days as a string', { ...valid, expires_in_days: '30' }, 'expires_in_days'],
      ['an unknown field', { ...valid, token: 'tap_mine' }, 'token'],
      ['a read-only field', { ...valid, last_used_at: '2026-01-01T00:00:00Z' }, 'last_used_at'],
    ])('%s', async (_, body, field) => {
      const response = await postApiToken(t, owner, body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
      expect((await listTokens(owner).expect(200)).body).toEqual([]);
    });

    it('a body that is not a JSON object is 400', async () => {
      for (const body of ['[]', '"x"', 'null']) {
        const response = await t
          .http()
          .post('/api/auth/tokens')
          .set(owner.auth)
          .set('content-type', 'application/json')
          .send(body);
        expectProblem(response, 400, 'VALIDATION_FAILED');
      }
    });
  });

  describe('at most 50 tokens per user', () => {
    it('the 51st is 409 LIMIT_REACHED (expired ones count); deleting one makes room', async () => {
      const user = await registerUser(t);
      const made: CreatedApiToken[] = [];
      for (let i = 0; i < 50; i += 1) made.push(await createApiToken(t, user, ['tasks:read']));
      await t.sql(`UPDATE api_tokens SET expires_at = now() - interval '1 day' WHERE id = $1`, [
        made[0].id,
      ]);
      const refused = await postApiToken(t, user, { name: 'one more', scopes: ['tasks:read'] });
      expectProblem(refused, 409, 'LIMIT_REACHED');
      // Someone else's count is their own.
      await createApiToken(t, await registerUser(t), ['tasks:read']);
      await deleteToken(user, made[0].id).expect(204);
      await createApiToken(t, user, ['tasks:read']);
      expectProblem(
        await postApiToken(t, user, { name: 'one more', scopes: ['tasks:read'] }),
        409,
        'LIMIT_REACHED',
      );
      const [{ n }] = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM api_tokens WHERE user_id = $1',
        [user.id],
      );
      expect(n).toBe(50);
    });

    it('concurrent creates never pass the limit together', async () => {
      const user = await registerUser(t);
      await t.sql(
        `INSERT INTO api_tokens (user_id, name, scopes, token_hash)
         SELECT $1, 'filler ' || i, ARRAY['tasks:read'], sha256(convert_to(gen_random_uuid()::text, 'UTF8'))
           FROM generate_series(1, 47) AS i`,
        [user.id],
      );
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          postApiToken(t, user, { name: `racer ${i}`, scopes: ['tasks:read'] }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([
        201, 201, 201, 409, 409, 409, 409, 409,
      ]);
      const [{ n }] = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM api_tokens WHERE user_id = $1',
        [user.id],
      );
      expect(n).toBe(50);
    });
  });

  describe('a token calls what its scopes allow', () => {
    let user: Registered;
    let taskId: string;
    beforeAll(async () => {
      user = await registerUser(t);
      taskId = (await createTask(t, user, { title: 'Mine' })).id;
    });
    const taskCount = async () =>
      (
        await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [
          user.id,
        ])
      )[0].n;

    it('tasks:read reads tasks, lists and the feed, by `me` and by id, and GET /api/auth/me', async () => {
      const token = await createApiToken(t, user, ['tasks:read']);
      for (const base of ['/api/me', `/api/${user.id}`]) {
        const tasks = await t.http().get(`${base}/tasks`).set(token.auth).expect(200);
        expect(tasks.body.map((task: any) => task.id)).toEqual([taskId]);
        await t.http().get(`${base}/tasks/${taskId}`).set(token.auth).expect(200);
        await t.http().get(`${base}/lists`).set(token.auth).expect(200);
        await t.http().get(`${base}/changes`).set(token.auth).expect(200);
      }
      await t.http().head('/api/me/tasks').set(token.auth).expect(200);
      await expectWorks(token, user.id);
    });

    it('tasks:read cannot write: 403 INSUFFICIENT_SCOPE and nothing changes', async () => {
      const token = await createApiToken(t, user, ['tasks:read']);
      const before = await taskCount();
      for (const call of [
        t.http().post('/api/me/tasks').send({ title: 'No' }),
        t.http().patch(`/api/me/tasks/${taskId}`).send({ title: 'No' }),
        t.http().delete(`/api/me/tasks/${taskId}`),
        t
          .http()
          .post('/api/me/webhooks')
          .send({ url: 'https://example.com', events: ['*'] }),
      ]) {
        expectProblem(await call.set(token.auth), 403, 'INSUFFICIENT_SCOPE');
      }
      expect(await taskCount()).toBe(before);
      const task = await t.http().get(`/api/me/tasks/${taskId}`).set(user.auth).expect(200);
      expect(task.body.title).toBe('Mine');
    });

    it('tasks:write creates, changes and reads', async () => {
      const token = await createApiToken(t, user, ['tasks:write']);
      const created = await t
        .http()
        .post('/api/me/tasks')
        .set(token.auth)
        .send({ title: 'By script' })
        .expect(201);
      expect(created.body).toMatchObject({ title: 'By script', user_id: user.id });
      await completeTask(t, token, created.body.id).expect(200);
      await t.http().get(`/api/me/tasks/${created.body.id}`).set(token.auth).expect(200);
      await t.http().delete(`/api/me/tasks/${created.body.id}`).set(token.auth).expect(204);
    });

    it('task scopes do not reach /api/admin, even for an admin: 403 INSUFFICIENT_SCOPE', async () => {
      const admin = await registerAdmin(t);
      const token = await createApiToken(t, admin, ['tasks:read', 'tasks:write']);
      expectProblem(
        await t.http().get('/api/admin/stats').set(token.auth),
        403,
        'INSUFFICIENT_SCOPE',
      );
    });

    it('admin reaches /api/admin while its user is an admin, and nothing under /api/{user_id}', async () => {
      const admin = await registerAdmin(t);
      const token = await createApiToken(t, admin, ['admin']);
      const stats = await t.http().get('/api/admin/stats').set(token.auth).expect(200);
      expect(stats.body.users.admins).toBeGreaterThanOrEqual(1);
      await t.http().get(`/api/admin/users/${user.id}`).set(token.auth).expect(200);
      expectProblem(await t.http().get('/api/me/tasks').set(token.auth), 403, 'INSUFFICIENT_SCOPE');
      await expectWorks(token, admin.id);
      // The role is read at each request: demoted, the scope alone opens nothing.
      await t.sql(`UPDATE users SET role = 'user' WHERE id = $1`, [admin.id]);
      expectProblem(await t.http().get('/api/admin/stats').set(token.auth), 403, 'FORBIDDEN');
      await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      await t.http().get('/api/admin/stats').set(token.auth).expect(200);
    });

    it('a plain user may hold an admin token, which opens nothing until promoted', async () => {
      const plain = await registerUser(t);
      const token = await createApiToken(t, plain, ['admin']);
      expectProblem(await t.http().get('/api/admin/stats').set(token.auth), 403, 'FORBIDDEN');
    });

    it('of /api/auth only GET me answers a token: the rest is 403 INSUFFICIENT_SCOPE', async () => {
      const token = await createApiToken(t, user, ['tasks:read', 'tasks:write', 'admin']);
      // Used once, so that last_used_at holds still for the minute.
      await expectWorks(token, user.id);
      const tokensBefore = (await listTokens(user).expect(200)).body;
      for (const call of [
        t
          .http()
          .post('/api/auth/tokens')
          .send({ name: 'minted', scopes: ['admin'] }),
        t.http().get('/api/auth/tokens'),
        t.http().delete(`/api/auth/tokens/${token.id}`),
        t.http().patch('/api/auth/me').send({ name: 'Renamed' }),
        t.http().post('/api/auth/password').send({
          current_password: user.password,
          new_password: 'another-password-1',
        }),
        t.http().get('/api/auth/sessions'),
        t.http().delete(`/api/auth/sessions/00000000-0000-4000-8000-000000000000`),
        t.http().post('/api/auth/login').send({ email: user.email, password: user.password }),
        t.http().post('/api/auth/refresh').send({ refresh_token: user.refreshToken }),
        t.http().post('/api/auth/logout').send({ refresh_token: user.refreshToken }),
      ]) {
        expectProblem(await call.set(token.auth), 403, 'INSUFFICIENT_SCOPE');
      }
      expect((await listTokens(user).expect(200)).body).toEqual(tokensBefore);
      const me = await auth.me(user.token).expect(200);
      expect(me.body.name).toBeNull();
      // The login the refresh and logout calls named is untouched.
      await auth.expectAllWork([{ access_token: user.token, refresh_token: user.refreshToken }]);
    });

    it('the scheme of the Authorization header may be in any case', async () => {
      const token = await createApiToken(t, user, ['tasks:read']);
      await t.http().get('/api/me/tasks').set('Authorization', `bearer ${token.token}`).expect(200);
      await t.http().get('/api/me/tasks').set('Authorization', `BEARER ${token.token}`).expect(200);
    });
  });

  describe('401 on the next request', () => {
    it('once the token has expired', async () => {
      const user = await registerUser(t);
      const token = await createApiToken(t, user, ['tasks:read'], { expires_in_days: 1 });
      await expectWorks(token, user.id);
      await t.sql(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        token.id,
      ]);
      await expectRefused(token.auth.Authorization);
      // Still listed (and counted), so its owner sees it expired and can delete it.
      const listed = (await listTokens(user).expect(200)).body;
      expect(listed.map((row: any) => row.id)).toEqual([token.id]);
      expect(Date.parse(listed[0].expires_at)).toBeLessThan(Date.now());
    });

    it('while its user is banned; again after the unban', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t);
      const token = await createApiToken(t, user, ['tasks:read']);
      await expectWorks(token, user.id);
      await adminApi(t, admin).ban(user.id, { reason: 'spam' }).expect(200);
      await expectRefused(token.auth.Authorization);
      await adminApi(t, admin).unban(user.id).expect(200);
      await expectWorks(token, user.id);
    });

    it('once its user is deleted, and the token rows go with the user', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t);
      const token = await createApiToken(t, user, ['tasks:write']);
      await expectWorks(token, user.id);
      await adminApi(t, admin).deleteUser(user.id).expect(204);
      await expectRefused(token.auth.Authorization);
      expect(await t.sql('SELECT id FROM api_tokens WHERE user_id = $1', [user.id])).toEqual([]);
    });

    it('for a tampered, truncated, extended or made-up token', async () => {
      const user = await registerUser(t);
      const token = await createApiToken(t, user, ['tasks:read']);
      const last = token.token.at(-1)!;
      const flipped = token.token.slice(0, -1) + (last === 'A' ? 'B' : 'A');
      const middle =
        token.token.slice(0, 20) + (token.token[20] === 'x' ? 'y' : 'x') + token.token.slice(21);
      for (const forged of [
        flipped,
        middle,
        token.token.slice(0, -1),
        `${token.token}A`,
        `tap_${'A'.repeat(43)}`,
        'tap_',
        `TAP_${token.token.slice(4)}`,
        `tap_${token.token.slice(4).replace(/./, '!')}`,
      ]) {
        await expectRefused(`Bearer ${forged}`);
      }
      await expectWorks(token, user.id);
    });
  });

  it('a password change (which ends every other login) leaves API tokens working', async () => {
    const user = await registerUser(t);
    const token = await createApiToken(t, user, ['tasks:read']);
    const other = (await auth.login(user).expect(200)).body;
    await auth.changePassword(user, 'a-brand-new-password').expect(204);
    expectProblem(await auth.me(user.token), 401, 'UNAUTHENTICATED');
    expectProblem(await auth.me(other.access_token), 401, 'UNAUTHENTICATED');
    await expectWorks(token, user.id);
    await t.http().get('/api/me/tasks').set(token.auth).expect(200);
  });

  it('last_used_at is set at the first use, then written at most once a minute', async () => {
    const user = await registerUser(t);
    const token = await createApiToken(t, user, ['tasks:read']);
    expect((await tokenRow(token.id)).last_used_at).toBeNull();

    await expectWorks(token, user.id);
    const first = await tokenRow(token.id);
    expect(first.age_ms).toBeGreaterThanOrEqual(0);
    expect(first.age_ms).toBeLessThan(10_000);
    const listed = (await listTokens(user).expect(200)).body[0];
    expect(listed.last_used_at).toBe(first.last_used_at!.toISOString());

    // Within the minute: not rewritten (the row version is the same), whatever the calls are.
    await expectWorks(token, user.id);
    await t.http().get('/api/me/tasks').set(token.auth).expect(200);
    expectProblem(
      await t.http().post('/api/me/tasks').set(token.auth).send({}),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expect(await tokenRow(token.id)).toEqual({ ...first, age_ms: expect.any(Number) });

    // A minute later, the next use writes it again.
    await t.sql(
      `UPDATE api_tokens SET last_used_at = last_used_at - interval '61 seconds' WHERE id = $1`,
      [token.id],
    );
    const backdated = await tokenRow(token.id);
    await expectWorks(token, user.id);
    const later = await tokenRow(token.id);
    expect(later.xmin).not.toBe(backdated.xmin);
    expect(later.age_ms).toBeLessThan(10_000);
    expect(later.last_used_at!.getTime()).toBeGreaterThan(backdated.last_used_at!.getTime());

    // A refused token is no use: an expired one's last_used_at stays.
    await t.sql(
      `UPDATE api_tokens SET last_used_at = now() - interval '1 hour',
                             expires_at = now() - interval '1 second' WHERE id = $1`,
      [token.id],
    );
    const expired = await tokenRow(token.id);
    await expectRefused(token.auth.Authorization);
    expect((await tokenRow(token.id)).xmin).toBe(expired.xmin);
  });

  describe('isolation', () => {
    let a: Registered;
    let b: Registered;
    let aTask: string;
    let aToken: CreatedApiToken;
    let bToken: CreatedApiToken;
    beforeAll(async () => {
      a = await registerUser(t);
      b = await registerUser(t);
      aTask = (await createTask(t, a, { title: 'A secret plan' })).id;
      aToken = await createApiToken(t, a, ['tasks:read']);
      bToken = await createApiToken(t, b, ['tasks:read', 'tasks:write']);
    });

    it('B’s token on A’s path is 403 FORBIDDEN; A’s task by B’s own path is 404', async () => {
      for (const call of [
        t.http().get(`/api/${a.id}/tasks`),
        t.http().get(`/api/${a.id}/tasks/${aTask}`),
        t.http().post(`/api/${a.id}/tasks`).send({ title: 'Planted' }),
        t.http().delete(`/api/${a.id}/tasks/${aTask}`),
      ]) {
        const response = await call.set(bToken.auth);
        expectProblem(response, 403, 'FORBIDDEN');
        expect(response.text).not.toContain('A secret plan');
      }
      expectProblem(
        await t.http().get(`/api/me/tasks/${aTask}`).set(bToken.auth),
        404,
        'TASK_NOT_FOUND',
      );
      const own = await t.http().get('/api/me/tasks').set(bToken.auth).expect(200);
      expect(own.body).toEqual([]);
      const [{ n }] = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM tasks WHERE user_id = $1',
        [a.id],
      );
      expect(n).toBe(1);
    });

    it('A’s token id is 404 API_TOKEN_NOT_FOUND for B, and A’s token keeps working', async () => {
      expectProblem(await deleteToken(b, aToken.id), 404, 'API_TOKEN_NOT_FOUND');
      expect((await listTokens(b).expect(200)).body.map((row: any) => row.id)).toEqual([bToken.id]);
      expect((await listTokens(a).expect(200)).body.map((row: any) => row.id)).toEqual([aToken.id]);
      await expectWorks(aToken, a.id);
    });
  });
});
