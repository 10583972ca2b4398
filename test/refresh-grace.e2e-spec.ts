import { hashRefreshToken } from '../src/auth/tokens.service';
import { adminApi, registerAdmin } from './support/admin';
import { authApi, type Pair } from './support/auth';
import { backdateRefreshUse, expectProblem, registerUser, Registered } from './support/builders';
import { refreshTokenCount, sessionsOf as storedSessions } from './support/db';
import { type TestApp, useTestApp } from './support/test-app';

/** The auth calls and checks of the suites below, and the user's stored logins. */
function helpers(t: TestApp) {
  const sessionsOf = (user: Registered) => storedSessions(t, user.id);
  return { ...authApi(t), sessionsOf };
}

describe('Refresh grace (JWT_REFRESH_REUSE_GRACE=10s)', () => {
  const t = useTestApp({ JWT_REFRESH_REUSE_GRACE: '10s' });
  const { login, refresh, logout, me, changePassword, sessionsOf, expectAllWork, expectAllDead } =
    helpers(t);

  it('a token presented again within the grace gets a working pair of its own, same login', async () => {
    const user = await registerUser(t);
    const first = (await refresh(user.refreshToken).expect(200)).body;
    const second = (await refresh(user.refreshToken).expect(200)).body;
    expect(second).toEqual({
      user: expect.objectContaining({ id: user.id }),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
    });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.refresh_token).not.toBe(user.refreshToken);

    const list = (await t.http().get('/api/auth/sessions').set(user.auth).expect(200)).body;
    expect(list).toHaveLength(1);
    expect(list[0].current).toBe(true);
    await expectAllWork([first, second]);
    expect(await sessionsOf(user)).toEqual([{ id: list[0].id, revoked_at: null }]);
  });

  it('the window counts from the first use: a reuse does not move it', async () => {
    const user = await registerUser(t);
    await refresh(user.refreshToken).expect(200);
    await backdateRefreshUse(t, user.refreshToken, 6);
    await refresh(user.refreshToken).expect(200);
    const [{ age }] = await t.sql<{ age: number }>(
      'SELECT extract(epoch FROM now() - used_at) AS age FROM refresh_tokens WHERE token_hash = $1',
      [hashRefreshToken(user.refreshToken)],
    );
    expect(Number(age)).toBeGreaterThanOrEqual(6);
    // 6 + 5 seconds after the first use is past the grace, however recent the reuse was.
    await backdateRefreshUse(t, user.refreshToken, 5);
    expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
  });

  it('10 concurrent refreshes of one token all succeed, each with a working pair of its own', async () => {
    const user = await registerUser(t);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(user.refreshToken)),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const pairs: Pair[] = responses.map((response) => response.body);
    expect(new Set(pairs.map((pair) => pair.refresh_token)).size).toBe(10);
    expect(await refreshTokenCount(t, user.id)).toBe(11); // the original and its 10 successors
    expect(await sessionsOf(user)).toHaveLength(1);
    await expectAllWork(pairs);
    expect((await sessionsOf(user))[0].revoked_at).toBeNull();
  });

  it('a replay after the window ends the login: every token descended from it is 401', async () => {
    const user = await registerUser(t);
    const children: Pair[] = (
      await Promise.all(Array.from({ length: 10 }, () => refresh(user.refreshToken)))
    ).map((response) => {
      expect(response.status).toBe(200);
      return response.body;
    });
    // Some descendants rotate further: grandchildren belong to the same login.
    const grandchildren: Pair[] = [];
    for (const child of children.slice(0, 3)) {
      grandchildren.push((await refresh(child.refresh_token).expect(200)).body);
    }
    await backdateRefreshUse(t, user.refreshToken, 11);

    const replay = await refresh(user.refreshToken);
    expectProblem(replay, 401, 'UNAUTHENTICATED');
    expect(replay.headers['www-authenticate']).toBe('Bearer');
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
    expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
    // The 3 rotated children are spent but within their own grace: still refused, the login is over.
    await expectAllDead([...children, ...grandchildren]);
  });

  it('a replay past the grace of a descendant ends the login too', async () => {
    const user = await registerUser(t);
    const child = (await refresh(user.refreshToken).expect(200)).body;
    const grandchild = (await refresh(child.refresh_token).expect(200)).body;
    await backdateRefreshUse(t, child.refresh_token, 11);
    expectProblem(await refresh(child.refresh_token), 401, 'UNAUTHENTICATED');
    await expectAllDead([child, grandchild]);
  });

  describe('a revoked login is never revived by the grace', () => {
    it('logout with the newest token', async () => {
      const user = await registerUser(t);
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await logout(rotated.refresh_token).expect(204);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      await expectAllDead([rotated]);
    });

    it('DELETE of the session', async () => {
      const user = await registerUser(t);
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      const [{ id }] = (await t.http().get('/api/auth/sessions').set(user.auth).expect(200)).body;
      await t
        .http()
        .delete(`/api/auth/sessions/${id}`)
        .set('Authorization', `Bearer ${rotated.access_token}`)
        .expect(204);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      await expectAllDead([rotated]);
    });

    it('a password change on another login', async () => {
      const user = await registerUser(t);
      const other = (await login(user).expect(200)).body;
      const rotated = (await refresh(other.refresh_token).expect(200)).body;
      await changePassword(user, 'a-brand-new-password').expect(204);
      expectProblem(await refresh(other.refresh_token), 401, 'UNAUTHENTICATED');
      expectProblem(await refresh(rotated.refresh_token), 401, 'UNAUTHENTICATED');
    });

    it('an admin ban, then unban', async () => {
      const asAdmin = adminApi(t, await registerAdmin(t));
      const user = await registerUser(t);
      const rotated = (await refresh(user.refreshToken).expect(200)).body;
      await asAdmin.ban(user.id, {}).expect(200);
      await asAdmin.unban(user.id).expect(200);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      await expectAllDead([rotated]);
    });

    it('a ban flag alone', async () => {
      const user = await registerUser(t);
      await refresh(user.refreshToken).expect(200);
      await t.sql('UPDATE users SET banned = true WHERE id = $1', [user.id]);
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
      await t.sql('UPDATE users SET banned = false WHERE id = $1', [user.id]);
      // Refused while banned, the spent token ended its login: lifting the ban revives nothing.
      expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    });
  });

  it('logout with a token within its grace ends the login (204)', async () => {
    const user = await registerUser(t);
    const rotated = (await refresh(user.refreshToken).expect(200)).body;
    await logout(user.refreshToken).expect(204);
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
    await expectAllDead([rotated]);
    expectProblem(await logout(user.refreshToken), 401, 'UNAUTHENTICATED');
  });

  it('logout with a token past its grace is a replay: 401, and the login ends', async () => {
    const user = await registerUser(t);
    const rotated = (await refresh(user.refreshToken).expect(200)).body;
    await backdateRefreshUse(t, user.refreshToken, 11);
    expectProblem(await logout(user.refreshToken), 401, 'UNAUTHENTICATED');
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
    await expectAllDead([rotated]);
  });

  it('stores only hashes: no issued refresh token is in the table', async () => {
    const user = await registerUser(t);
    const pairs: Pair[] = [];
    pairs.push((await refresh(user.refreshToken).expect(200)).body);
    pairs.push((await refresh(user.refreshToken).expect(200)).body);
    const issued = [user.refreshToken, ...pairs.map((pair) => pair.refresh_token)];
    const rows = await t.sql<{ token_hash: Buffer; row: string }>(
      `SELECT r.token_hash, r::text AS row FROM refresh_tokens r
         JOIN sessions s ON s.id = r.session_id WHERE s.user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(3);
    expect(rows.map((row) => row.token_hash.toString('hex')).sort()).toEqual(
      issued.map((token) => hashRefreshToken(token).toString('hex')).sort(),
    );
    for (const { row, token_hash } of rows) {
      for (const token of issued) {
        expect(row).not.toContain(token);
        expect(token_hash.toString('utf8')).not.toContain(token);
        expect(row).not.toContain(Buffer.from(token, 'base64url').toString('hex'));
      }
    }
  });
});

describe('Refresh grace off (JWT_REFRESH_REUSE_GRACE=0): every refresh token is single-use', () => {
  const t = useTestApp({ JWT_REFRESH_REUSE_GRACE: '0' });
  const { refresh, logout, me, sessionsOf, expectAllDead } = helpers(t);

  it('a second presentation at once is a replay: 401, and the whole login ends', async () => {
    const user = await registerUser(t);
    const rotated = (await refresh(user.refreshToken).expect(200)).body;
    expectProblem(await refresh(user.refreshToken), 401, 'UNAUTHENTICATED');
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
    expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
    await expectAllDead([rotated]);
  });

  it('of 10 concurrent refreshes with one token, exactly one succeeds', async () => {
    const user = await registerUser(t);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(user.refreshToken)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    expect(await refreshTokenCount(t, user.id)).toBe(2); // the original and the single successor
    // The losers presented a spent token: reuse detection ended the login.
    expect((await sessionsOf(user))[0].revoked_at).not.toBeNull();
  });

  it('logout with a used token is 401 and ends the login', async () => {
    const user = await registerUser(t);
    const rotated = (await refresh(user.refreshToken).expect(200)).body;
    expectProblem(await logout(user.refreshToken), 401, 'UNAUTHENTICATED');
    await expectAllDead([rotated]);
  });
});
