import { backdateRefreshUse, expectProblem, registerUser } from './support/builders';
import { authApi } from './support/auth';
import { useTestApp } from './support/test-app';

describe('Sessions: refresh rotation, replay, logout, session list, password change', () => {
  const t = useTestApp();

  const { login, refresh, logout, me, changePassword } = authApi(t);
  const sessionRevoked = async (accessToken: string) => {
    const sid = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).sid;
    const [row] = await t.sql<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM sessions WHERE id = $1',
      [sid],
    );
    return row.revoked_at !== null;
  };

  describe('POST /api/auth/refresh', () => {
    it('rotates: a new pair for the same login, and the new access token works', async () => {
      const user = await registerUser(t);
      const response = await refresh(user.refreshToken).expect(200);
      expect(response.body).toEqual({
        user: expect.objectContaining({ id: user.id, email: user.email }),
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
      });
      expect(response.body.refresh_token).not.toBe(user.refreshToken);
      expect(Buffer.from(response.body.refresh_token, 'base64url').length).toBeGreaterThanOrEqual(
        32,
      );
      await me(response.body.access_token).expect(200);
      await refresh(response.body.refresh_token).expect(200);
      const [{ count }] = await t.sql<{ count: string }>(
        'SELECT count(DISTINCT s.id) AS count FROM sessions s WHERE s.user_id = $1',
        [user.id],
      );
      expect(count).toBe('1');
    });

    it('updates the login’s last_used_at', async () => {
      const user = await registerUser(t);
      await t.sql(
        `UPDATE sessions SET last_used_at = now() - interval '1 hour' WHERE user_id = $1`,
        [user.id],
      );
      await refresh(user.refreshToken).expect(200);
      const [row] = await t.sql<{ age: number }>(
        `SELECT extract(epoch FROM now() - last_used_at) AS age FROM sessions WHERE user_id = $1`,
        [user.id],
      );
      expect(Number(row.age)).toBeLessThan(60);
    });

    it('a replayed refresh token (used, past its grace) is 401 and ends the whole login', async () => {
      const user = await registerUser(t);
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await backdateRefreshUse(t, user.refreshToken, 11); // past the default 10 s grace
      const replay = await refresh(user.refreshToken);
      expectProblem(replay, 401, 'UNAUTHENTICATED');
      expect(replay.headers['www-authenticate']).toBe('Bearer');
      // Every token of that login is dead now: the rotated refresh token and both access tokens.
      expectProblem(await refresh(rotated.refresh_token), 401, 'UNAUTHENTICATED');
      expectProblem(await me(rotated.access_token), 401, 'UNAUTHENTICATED');
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
      expect(await sessionRevoked(user.token)).toBe(true);
    });

    it('replay ends only that login: the user’s other logins keep working', async () => {
      const user = await registerUser(t);
      const other = (await login(user).expect(200)).body;
      await refresh(user.refreshToken).expect(200);
      await backdateRefreshUse(t, user.refreshToken, 11);
      await refresh(user.refreshToken).expect(401);
      await me(other.access_token).expect(200);
      await refresh(other.refresh_token).expect(200);
    });

    it('refuses an expired refresh token', async () => {
      const user = await registerUser(t);
      await t.sql(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
          WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)`,
        [user.id],
      );
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    });

    it('new refresh tokens expire after JWT_REFRESH_TTL', async () => {
      const user = await registerUser(t);
      const [row] = await t.sql<{ ttl: number }>(
        `SELECT extract(epoch FROM r.expires_at - r.created_at) AS ttl
           FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE s.user_id = $1`,
        [user.id],
      );
      expect(Math.abs(Number(row.ttl) - 30 * 86400)).toBeLessThan(5);
    });

    it('refuses a banned user’s refresh token', async () => {
      const user = await registerUser(t);
      await t.sql('UPDATE users SET banned = true WHERE id = $1', [user.id]);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    });

    it('refuses the refresh token of a revoked login, and of a deleted user', async () => {
      const user = await registerUser(t);
      await t.sql('UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [user.id]);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      const gone = await registerUser(t);
      await t.sql('DELETE FROM users WHERE id = $1', [gone.id]);
      expectProblem(await refresh(gone.refreshToken), 401, 'UNAUTHENTICATED');
    });

    it('refuses an unknown token with 401 and a malformed body with 400', async () => {
      expectProblem(await refresh('x'.repeat(43)), 401, 'UNAUTHENTICATED');
      for (const body of [{}, { refresh_token: '' }, { refresh_token: 42 }, { token: 'abc' }]) {
        expectProblem(
          await t.http().post('/api/auth/refresh').send(body),
          400,
          'VALIDATION_FAILED',
        );
      }
    });

    it('refresh after a password change carries the new token version', async () => {
      const user = await registerUser(t);
      await changePassword(user, 'new-password-1').expect(204);
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await me(rotated.access_token).expect(200);
    });
  });

  describe('POST /api/auth/logout', () => {
    it('ends the login: its refresh and access tokens stop working at once', async () => {
      const user = await registerUser(t);
      const other = (await login(user).expect(200)).body;
      await logout(user.refreshToken).expect(204);
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      // The other login is untouched.
      await me(other.access_token).expect(200);
    });

    it('is 401 for an unknown, a used or an already logged-out token', async () => {
      const user = await registerUser(t);
      expectProblem(await logout('nope'.repeat(10)), 401, 'UNAUTHENTICATED');
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await logout(rotated.refresh_token).expect(204);
      expectProblem(await logout(rotated.refresh_token), 401, 'UNAUTHENTICATED');
      expectProblem(await logout(user.refreshToken), 401, 'UNAUTHENTICATED');
    });

    it('rejects a malformed body with 400', async () => {
      expectProblem(await t.http().post('/api/auth/logout').send({}), 400, 'VALIDATION_FAILED');
    });
  });

  describe('GET and DELETE /api/auth/sessions', () => {
    it('lists the caller’s live logins with the current one marked', async () => {
      const user = await registerUser(t);
      const second = (await login(user, 'second-browser').expect(200)).body;
      const third = (await login(user, 'third-browser').expect(200)).body;
      await logout(third.refresh_token);
      const stranger = await registerUser(t);

      const response = await t
        .http()
        .get('/api/auth/sessions')
        .set('Authorization', `Bearer ${second.access_token}`)
        .expect(200);
      expect(response.body).toHaveLength(2);
      const current = response.body.find((session: { current: boolean }) => session.current);
      expect(current).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_at: expect.stringMatching(/Z$/),
        last_used_at: expect.stringMatching(/Z$/),
        user_agent: 'second-browser',
        ip: expect.any(String),
        current: true,
      });
      expect(response.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
      const ids = response.body.map((session: { id: string }) => session.id);
      const [strangerSession] = await t.sql<{ id: string }>(
        'SELECT id FROM sessions WHERE user_id = $1',
        [stranger.id],
      );
      expect(ids).not.toContain(strangerSession.id);
    });

    it('leaves out logins whose refresh token has expired', async () => {
      const user = await registerUser(t);
      await login(user);
      await t.sql(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
          WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)
            AND session_id <> (SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at LIMIT 1)`,
        [user.id],
      );
      const response = await t.http().get('/api/auth/sessions').set(user.auth).expect(200);
      expect(response.body).toHaveLength(1);
      expect(response.body[0].current).toBe(true);
    });

    it('DELETE ends one of your logins: its refresh token stops working', async () => {
      const user = await registerUser(t);
      const other = (await login(user).expect(200)).body;
      const list = (await t.http().get('/api/auth/sessions').set(user.auth).expect(200)).body;
      const target = list.find((session: { current: boolean }) => !session.current);
      await t.http().delete(`/api/auth/sessions/${target.id}`).set(user.auth).expect(204);
      expectProblem(await refresh(other.refresh_token), 401, 'UNAUTHENTICATED');
      expectProblem(await me(other.access_token), 401, 'UNAUTHENTICATED');
      await me(user.token).expect(200);
      const after = (await t.http().get('/api/auth/sessions').set(user.auth).expect(200)).body;
      expect(after.map((session: { id: string }) => session.id)).not.toContain(target.id);
      // Gone now: a second DELETE is 404.
      expectProblem(
        await t.http().delete(`/api/auth/sessions/${target.id}`).set(user.auth),
        404,
        'SESSION_NOT_FOUND',
      );
    });

    it('DELETE of the current login logs the caller out', async () => {
      const user = await registerUser(t);
      const [{ current }] = (await t.http().get('/api/auth/sessions').set(user.auth)).body;
      expect(current).toBe(true);
      const [{ id }] = (await t.http().get('/api/auth/sessions').set(user.auth)).body;
      await t.http().delete(`/api/auth/sessions/${id}`).set(user.auth).expect(204);
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
    });

    it('someone else’s login is 404 and stays alive; a malformed id is 400', async () => {
      const owner = await registerUser(t);
      const intruder = await registerUser(t);
      const [{ id }] = (await t.http().get('/api/auth/sessions').set(owner.auth)).body;
      expectProblem(
        await t.http().delete(`/api/auth/sessions/${id}`).set(intruder.auth),
        404,
        'SESSION_NOT_FOUND',
      );
      await me(owner.token).expect(200);
      expectProblem(
        await t.http().delete('/api/auth/sessions/not-a-uuid').set(owner.auth),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('needs a token', async () => {
      expectProblem(await t.http().get('/api/auth/sessions'), 401, 'UNAUTHENTICATED');
      expectProblem(
        await t.http().delete('/api/auth/sessions/00000000-0000-4000-8000-000000000000'),
        401,
        'UNAUTHENTICATED',
      );
    });
  });

  describe('POST /api/auth/password', () => {
    it('changes the password, voids older access tokens and ends every other login', async () => {
      const user = await registerUser(t);
      const other = (await login(user).expect(200)).body;
      await changePassword(user, 'a-brand-new-password').expect(204);
      // Access tokens issued before the change, the caller's own included, are refused.
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await me(other.access_token), 401, 'UNAUTHENTICATED');
      // The other login is over; the caller's own login survives and refreshes.
      expectProblem(await refresh(other.refresh_token), 401, 'UNAUTHENTICATED');
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await me(rotated.access_token).expect(200);
      // The old password no longer works, the new one does.
      expectProblem(await login(user), 401, 'INVALID_CREDENTIALS');
      await login({ email: user.email, password: 'a-brand-new-password' }).expect(200);
    });

    it('a wrong current password is 401 INVALID_CREDENTIALS and changes nothing', async () => {
      const user = await registerUser(t);
      const [before] = await t.sql<{ password_hash: string; token_version: number }>(
        'SELECT password_hash, token_version FROM users WHERE id = $1',
        [user.id],
      );
      expectProblem(
        await t
          .http()
          .post('/api/auth/password')
          .set(user.auth)
          .send({ current_password: 'not-the-password', new_password: 'another-password' }),
        401,
        'INVALID_CREDENTIALS',
      );
      const [after] = await t.sql('SELECT password_hash, token_version FROM users WHERE id = $1', [
        user.id,
      ]);
      expect(after).toEqual(before);
      await me(user.token).expect(200);
    });

    it.each([
      ['a short new password', { current_password: 'password-123', new_password: 'short' }],
      ['a long new password', { current_password: 'password-123', new_password: 'x'.repeat(129) }],
      ['a missing current password', { new_password: 'long-enough-1' }],
      [
        'an unknown field',
        { current_password: 'password-123', new_password: 'long-enough-1', x: 1 },
      ],
    ])('rejects %s with 400 and changes nothing', async (_, body) => {
      const user = await registerUser(t);
      expectProblem(
        await t.http().post('/api/auth/password').set(user.auth).send(body),
        400,
        'VALIDATION_FAILED',
      );
      await me(user.token).expect(200);
    });

    it('needs a token', async () => {
      expectProblem(
        await t
          .http()
          .post('/api/auth/password')
          .send({ current_password: 'password-123', new_password: 'long-enough-1' }),
        401,
        'UNAUTHENTICATED',
      );
    });
  });
});
