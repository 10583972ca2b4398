import { expectProblem } from './builders';
import type { TestApp } from './test-app';

/** An access and refresh token pair, as a Session or a refresh answers it. */
export interface Pair {
  access_token: string;
  refresh_token: string;
}

export const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

/**
 * The auth routes of one app (or of whichever app the getter names then), as requests a test can
 * still `.set()` or `.expect()` on.
 */
export function authApi(app: TestApp | (() => TestApp)) {
  const t = { http: () => (typeof app === 'function' ? app() : app).http() };
  const login = (user: { email: string; password: string }, userAgent?: string) => {
    const call = t.http().post('/api/auth/login');
    if (userAgent) call.set('User-Agent', userAgent);
    return call.send({ email: user.email, password: user.password });
  };
  const refresh = (refreshToken: string) =>
    t.http().post('/api/auth/refresh').send({ refresh_token: refreshToken });
  const logout = (refreshToken: string) =>
    t.http().post('/api/auth/logout').send({ refresh_token: refreshToken });
  const me = (accessToken: string) => t.http().get('/api/auth/me').set(bearer(accessToken));
  const changePassword = (
    user: { auth: Record<string, string>; password: string },
    newPassword: string,
  ) =>
    t
      .http()
      .post('/api/auth/password')
      .set(user.auth)
      .send({ current_password: user.password, new_password: newPassword });
  const updateMe = (user: { auth: Record<string, string> }, body: object) =>
    t.http().patch('/api/auth/me').set(user.auth).send(body);
  /** Every pair still works: each access token is accepted and each refresh token rotates. */
  const expectAllWork = async (pairs: Pair[]) => {
    for (const pair of pairs) {
      await me(pair.access_token).expect(200);
      await refresh(pair.refresh_token).expect(200);
    }
  };
  /** No pair works any more: each access and each refresh token is 401. */
  const expectAllDead = async (pairs: Pair[]) => {
    for (const pair of pairs) {
      expectProblem(await me(pair.access_token), 401, 'UNAUTHENTICATED');
      expectProblem(await refresh(pair.refresh_token), 401, 'UNAUTHENTICATED');
    }
  };
  return { login, refresh, logout, me, changePassword, updateMe, expectAllWork, expectAllDead };
}
