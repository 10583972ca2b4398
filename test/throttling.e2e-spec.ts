import { randomBytes } from 'node:crypto';
import { expectProblem, registerUser, uniqueEmail } from './support/builders';
import { type TestApp, useTestApp } from './support/test-app';

/** A client address of its own per test, so counters never leak between tests (or runs on Redis). */
const randomIp = () => `10.${[...randomBytes(3)].join('.')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers from an address of its own, so registering never counts against a test's limit. */
const register = (t: TestApp) => registerUser(t, { forwardedFor: randomIp() });
/** A POST as from client address `ip` (the apps below trust X-Forwarded-For, or test that they do not). */
const postFrom = (t: TestApp, ip: string, path: string, body: object) =>
  t.http().post(path).set('X-Forwarded-For', ip).send(body);
const newAccount = () => ({ email: uniqueEmail(), password: 'password-123' });

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
// CI always has Redis (a missing one fails there); a newcomer's machine may have none: then the
// Redis half is skipped, and says so.
const redisRuns = process.env.TEST_REDIS_REACHABLE === 'true' || process.env.CI === 'true';
if (!redisRuns)
  console.warn(`No Redis at ${REDIS_URL}: the Redis-store throttling tests are skipped.`);

const STORES: [string, Record<string, string>][] = [
  ['PostgreSQL', {}],
  ...(redisRuns ? [['Redis', { REDIS_URL }] as [string, Record<string, string>]] : []),
];

describe.each(STORES)('Throttling on the %s store', (_, storeEnv) => {
  const t = useTestApp({
    ...storeEnv,
    TRUST_PROXY: 'true',
    LOGIN_MAX_FAILURES_PER_EMAIL: '3',
    LOGIN_MAX_FAILURES_PER_IP: '5',
    LOGIN_WINDOW: '2s',
  });

  const login = (email: string, password: string, ip: string) =>
    postFrom(t, ip, '/api/auth/login', { email, password });

  it('keeps its counters in the configured store', async () => {
    await login(uniqueEmail(), 'wrong-password', randomIp()).expect(401);
    const [{ count }] = await t.sql<{ count: string }>('SELECT count(*) FROM throttle_counters');
    if (storeEnv.REDIS_URL) expect(count).toBe('0');
    else expect(Number(count)).toBeGreaterThan(0);
  });

  describe('failed logins per email', () => {
    it('the attempt past the limit gets 429 with Retry-After, even with the right password, until the window ends', async () => {
      const user = await register(t);
      for (let i = 0; i < 3; i++) {
        expectProblem(
          await login(user.email, 'wrong-password', randomIp()),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      // From yet another address, with the right password: the email is locked.
      const locked = await login(user.email, user.password, randomIp());
      expectProblem(locked, 429, 'TOO_MANY_REQUESTS');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      // Same email in another case is the same account, so the same counter.
      expectProblem(
        await login(user.email.toUpperCase(), user.password, randomIp()),
        429,
        'TOO_MANY_REQUESTS',
      );

      await sleep(retryAfter * 1000 + 100);
      await login(user.email, user.password, randomIp()).expect(200);
    });

    it('other accounts are unaffected', async () => {
      const victim = await register(t);
      const bystander = await register(t);
      for (let i = 0; i < 4; i++) await login(victim.email, 'wrong-password', randomIp());
      expectProblem(
        await login(victim.email, victim.password, randomIp()),
        429,
        'TOO_MANY_REQUESTS',
      );
      await login(bystander.email, bystander.password, randomIp()).expect(200);
    });

    it('unknown emails are throttled too (no hint whether the account exists)', async () => {
      const email = uniqueEmail();
      for (let i = 0; i < 3; i++) {
        expectProblem(await login(email, 'wrong-password', randomIp()), 401, 'INVALID_CREDENTIALS');
      }
      expectProblem(await login(email, 'wrong-password', randomIp()), 429, 'TOO_MANY_REQUESTS');
    });

    it('a successful login clears the email’s failures', async () => {
      const user = await register(t);
      const ip = randomIp();
      for (let i = 0; i < 2; i++) await login(user.email, 'wrong-password', ip);
      await login(user.email, user.password, ip).expect(200);
      for (let i = 0; i < 3; i++) {
        expectProblem(await login(user.email, 'wrong-password', ip), 401, 'INVALID_CREDENTIALS');
      }
      expectProblem(await login(user.email, user.password, ip), 429, 'TOO_MANY_REQUESTS');
    });

    it('a burst of parallel guesses cannot get past the limit', async () => {
      const user = await register(t);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => login(user.email, 'wrong-password', randomIp())),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    });
  });

  describe('failed logins per client address', () => {
    it('the attempt past the limit from one address gets 429 for every account; other addresses are fine', async () => {
      const ip = randomIp();
      for (let i = 0; i < 5; i++) {
        expectProblem(await login(uniqueEmail(), 'wrong-password', ip), 401, 'INVALID_CREDENTIALS');
      }
      const user = await register(t);
      const blocked = await login(user.email, user.password, ip);
      expectProblem(blocked, 429, 'TOO_MANY_REQUESTS');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await login(user.email, user.password, randomIp()).expect(200);
    });

    it('logging in to an account of one’s own does not reset the address’s failures', async () => {
      const ip = randomIp();
      const own = await register(t);
      for (let round = 0; round < 3; round++) {
        await login(uniqueEmail(), 'wrong-password', ip).expect(401);
        await login(own.email, own.password, ip).expect(200);
      }
      await login(uniqueEmail(), 'wrong-password', ip).expect(401);
      await login(uniqueEmail(), 'wrong-password', ip).expect(401);
      expectProblem(await login(uniqueEmail(), 'wrong-password', ip), 429, 'TOO_MANY_REQUESTS');
    });
  });
});

describe.each(STORES)('AUTH_RATE_LIMIT on the %s store', (_, storeEnv) => {
  const t = useTestApp({ ...storeEnv, TRUST_PROXY: 'true', AUTH_RATE_LIMIT: '4' });

  it('register: the request past the limit per address gets 429 TOO_MANY_REQUESTS with Retry-After', async () => {
    const ip = randomIp();
    const registerFrom = (from: string) => postFrom(t, from, '/api/auth/register', newAccount());
    for (let i = 0; i < 4; i++) await registerFrom(ip).expect(201);
    const limited = await registerFrom(ip);
    expectProblem(limited, 429, 'TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another address is not limited.
    await registerFrom(randomIp()).expect(201);
  });

  it('refresh: the request past the limit per address gets 429', async () => {
    const ip = randomIp();
    let token = (await register(t)).refreshToken;
    const refresh = () => postFrom(t, ip, '/api/auth/refresh', { refresh_token: token });
    for (let i = 0; i < 4; i++) token = (await refresh().expect(200)).body.refresh_token;
    expectProblem(await refresh(), 429, 'TOO_MANY_REQUESTS');
  });

  it('register, login and refresh share one budget per address', async () => {
    const ip = randomIp();
    const user = await register(t);
    const call = (path: string, body: object) => postFrom(t, ip, path, body);
    await call('/api/auth/register', newAccount()).expect(201);
    await call('/api/auth/login', { email: user.email, password: user.password }).expect(200);
    await call('/api/auth/refresh', { refresh_token: user.refreshToken }).expect(200);
    await call('/api/auth/login', { email: user.email, password: user.password }).expect(200);
    expectProblem(await call('/api/auth/register', newAccount()), 429, 'TOO_MANY_REQUESTS');
  });

  it('other routes are not rate limited', async () => {
    const ip = randomIp();
    const user = await register(t);
    for (let i = 0; i < 6; i++) {
      await t
        .http()
        .get('/api/auth/me')
        .set('X-Forwarded-For', ip)
        .set('Authorization', `Bearer ${user.token}`)
        .expect(200);
    }
  });
});

describe('Without TRUST_PROXY, X-Forwarded-For is ignored', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES_PER_IP: '3', LOGIN_WINDOW: '60s' });

  it('a client cannot escape the per-address limit by inventing addresses', async () => {
    const guess = () =>
      postFrom(t, randomIp(), '/api/auth/login', {
        email: uniqueEmail(),
        password: 'wrong-password',
      });
    for (let i = 0; i < 3; i++) await guess().expect(401);
    expectProblem(await guess(), 429, 'TOO_MANY_REQUESTS');
    const rows = await t.sql<{ key: string }>(
      `SELECT key FROM throttle_counters WHERE key LIKE 'login:ip:%'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].key).not.toMatch(/^login:ip:10\./);
  });
});

describe('While the Redis store is unreachable', () => {
  const t = useTestApp({ REDIS_URL: 'redis://127.0.0.1:1/0' });

  it('login answers 503 SERVICE_UNAVAILABLE with Retry-After, not a 500 or a hang', async () => {
    const response = await t
      .http()
      .post('/api/auth/login')
      .send({ email: uniqueEmail(), password: 'wrong-password' });
    expectProblem(response, 503, 'SERVICE_UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('5');
  });
});
