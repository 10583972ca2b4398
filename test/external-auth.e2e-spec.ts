import { createHmac } from 'node:crypto';
import { OWN_TOKEN } from '../src/auth/external/external-auth.service';
import { BetterAuthIssuer, decodeJwt, type IssuerUser } from './support/better-auth';
import { bearer } from './support/auth';
import {
  createTask,
  expectProblem,
  type Registered,
  registerUser,
  uniqueEmail,
} from './support/builders';
import { countRows } from './support/db';
import { describeIsolation, type NamedRoute } from './support/isolation';
import { freePort } from './support/server-process';
import { createTestApp, type TestApp, useTestApp } from './support/test-app';

const AUDIENCE = 'https://tasks.example.test';
const ADMIN_EMAIL = 'boss@example.com';
const COOLDOWN_MS = 30_000;

/** A JWT with another header and payload, signed (or not) by `sign` over the new input. */
function forge(header: object, payload: object, sign: (input: string) => string = () => '') {
  const input = [header, payload]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.');
  return `${input}.${sign(input)}`;
}
const hs256 = (secret: string) => (input: string) =>
  createHmac('sha256', secret).update(input).digest('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A user of the issuer as the API sees them: their token, and their account here. */
interface ExternalUser extends Registered {
  subject: string;
  issuerUser: IssuerUser;
}

describe('Tokens from an external issuer (a real Better Auth)', () => {
  let issuer: BetterAuthIssuer;
  /** A second Better Auth with the same issuer and audience configured, and a key of its own. */
  let impostor: BetterAuthIssuer;
  beforeAll(async () => {
    issuer = await BetterAuthIssuer.start(AUDIENCE);
    impostor = await BetterAuthIssuer.start(AUDIENCE, issuer.issuer);
  }, 30_000);
  afterAll(async () => {
    await issuer?.stop();
    await impostor?.stop();
  });
  const t = useTestApp(() => ({
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: AUDIENCE,
    // No ADMIN_PASSWORD: the account is left to the issuer's first token of this email.
    ADMIN_EMAIL,
  }));

  const me = (token: string) => t.http().get('/api/auth/me').set(bearer(token));

  /** Signs up at the issuer, gets a token and makes the first request with it. */
  async function signIn(email = uniqueEmail('ext'), name = 'Ext User'): Promise<ExternalUser> {
    const issuerUser = await issuer.signUp(email, name);
    const token = await issuer.token(issuerUser);
    const response = await me(token).expect(200);
    return {
      id: response.body.id,
      email: response.body.email,
      password: '',
      token,
      refreshToken: '',
      auth: bearer(token),
      subject: decodeJwt(token).payload.sub,
      issuerUser,
    };
  }

  let ann: ExternalUser;
  /** ADMIN_EMAIL's user at the issuer. */
  let boss: ExternalUser;
  beforeAll(async () => {
    ann = await signIn('Ann@Example.com', 'Ann');
    boss = await signIn(ADMIN_EMAIL, 'Boss');
  });

  describe('a Better Auth token', () => {
    it('is accepted as its user: created here from the email and name claims, role user, no password', async () => {
      expect((await me(ann.token).expect(200)).body).toEqual({
        id: ann.id,
        email: 'ann@example.com',
        name: 'Ann',
        role: 'user',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const [row] = await t.sql('SELECT password_hash FROM users WHERE id = $1', [ann.id]);
      expect(row.password_hash).toBeNull();
      expect(
        await t.sql('SELECT issuer, subject, user_id FROM external_identities WHERE user_id = $1', [
          ann.id,
        ]),
      ).toEqual([{ issuer: issuer.issuer, subject: ann.subject, user_id: ann.id }]);
    });

    it('serves that user’s tasks: create and list', async () => {
      const task = await createTask(t, ann, { title: 'Ann’s external task' });
      expect(task.user_id).toBe(ann.id);
      const list = await t.http().get('/api/me/tasks').set(ann.auth).expect(200);
      expect(list.body.map((row: any) => row.title)).toEqual(['Ann’s external task']);
      await t.http().get(`/api/${ann.id}/tasks/${task.id}`).set(ann.auth).expect(200);
    });

    it('the account got its Inbox like any other (the users_default_list trigger)', async () => {
      const lists = await t.http().get('/api/me/lists').set(ann.auth).expect(200);
      expect(lists.body).toEqual([expect.objectContaining({ name: 'Inbox', is_default: true })]);
    });

    it('works for everything else a local user has: PATCH me, webhooks', async () => {
      const renamed = await t.http().patch('/api/auth/me').set(ann.auth).send({ name: 'Annie' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('Annie');
      await t.http().get('/api/me/webhooks').set(ann.auth).expect(200);
    });

    it('a later token of the same subject is the same account (the claims are read only once)', async () => {
      const again = await issuer.token(ann.issuerUser);
      expect((await me(again).expect(200)).body).toMatchObject({ id: ann.id, name: 'Annie' });
      expect(await countRows(t, 'users', 'email = $1', ['ann@example.com'])).toBe(1);
    });

    it('the API’s own tokens keep working beside it', async () => {
      const local = await registerUser(t);
      expect((await me(local.token).expect(200)).body.id).toBe(local.id);
      // Recognized by their header without decoding anything (the GET one task path).
      expect(local.auth.Authorization.startsWith(OWN_TOKEN)).toBe(true);
    });
  });

  describe('401 UNAUTHENTICATED, with WWW-Authenticate: Bearer', () => {
    const refused = async (token: string) => {
      const response = await me(token);
      expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    };

    it('a token of a second Better Auth with another key (same issuer and audience)', async () => {
      const stranger = await impostor.signUp(uniqueEmail('impostor'));
      const token = await impostor.token(stranger);
      expect(decodeJwt(token).payload).toMatchObject({ iss: issuer.issuer, aud: AUDIENCE });
      await refused(token);
    });

    it('the token re-signed with HS256 (a made-up secret, or the public key as the secret)', async () => {
      const { header, payload } = decodeJwt(ann.token);
      const jwks = await (await fetch(issuer.jwksUrl)).json();
      for (const secret of ['some-secret', JSON.stringify(jwks.keys[0])]) {
        await refused(forge({ ...header, alg: 'HS256' }, payload, hs256(secret)));
      }
    });

    it('the token with alg none (and no signature)', async () => {
      const { header, payload } = decodeJwt(ann.token);
      await refused(forge({ ...header, alg: 'none' }, payload));
      await refused(forge({ alg: 'none' }, payload));
    });

    it('the token with its payload changed (the issuer’s signature kept)', async () => {
      const { header, payload } = decodeJwt(ann.token);
      const signature = ann.token.split('.')[2];
      await refused(forge(header, { ...payload, sub: 'someone-else' }, () => signature));
    });

    it('an expired token; one expired less than the 60 s of clock skew ago still passes', async () => {
      await refused(await issuer.sign({ sub: ann.subject, iat: now() - 900, exp: now() - 90 }));
      await me(await issuer.sign({ sub: ann.subject, iat: now() - 900, exp: now() - 30 })).expect(
        200,
      );
    });

    it('a token not valid yet (nbf) beyond the clock skew', async () => {
      await refused(await issuer.sign({ sub: ann.subject, nbf: now() + 120 }));
      await me(await issuer.sign({ sub: ann.subject, nbf: now() + 30 })).expect(200);
    });

    it('a token for another audience', async () => {
      await refused(await issuer.sign({ sub: ann.subject, aud: 'https://other-api.example.test' }));
    });

    it('a token of another issuer (signed with the right key)', async () => {
      await refused(
        await issuer.sign({ sub: ann.subject, iss: 'https://other-issuer.example.test' }),
      );
    });

    it('a first token without a usable email claim (nothing is created)', async () => {
      const before = await countRows(t, 'users');
      await refused(await issuer.sign({ sub: 'no-email-subject', name: 'No Email' }));
      await refused(await issuer.sign({ sub: 'bad-email-subject', email: 'not an email' }));
      expect(await countRows(t, 'users')).toBe(before);
      expect(await countRows(t, 'external_identities', "subject LIKE '%-email-subject'")).toBe(0);
    });
  });

  it('10 concurrent first requests of one subject make one account and one link', async () => {
    const email = uniqueEmail('race');
    const token = await issuer.token(await issuer.signUp(email));
    const responses = await Promise.all(Array.from({ length: 10 }, () => me(token)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const ids = new Set(responses.map((response) => response.body.id));
    expect(ids.size).toBe(1);
    expect(await countRows(t, 'users', 'email = $1', [email])).toBe(1);
    expect(
      await countRows(t, 'external_identities', 'subject = $1', [decodeJwt(token).payload.sub]),
    ).toBe(1);
    expect(await countRows(t, 'lists', 'user_id = $1', [[...ids][0]])).toBe(1);
  });

  describe('an account here with the same email', () => {
    it('is not linked while the issuer has not verified the email: 409 EMAIL_TAKEN, nothing linked', async () => {
      const local = await registerUser(t, { email: uniqueEmail('carl') });
      const issuerUser = await issuer.signUp(local.email);
      const token = await issuer.token(issuerUser);
      expect(decodeJwt(token).payload.emailVerified).toBe(false);
      expectProblem(await me(token), 409, 'EMAIL_TAKEN');
      expect(await countRows(t, 'external_identities', 'user_id = $1', [local.id])).toBe(0);
      expect(await countRows(t, 'users', 'email = $1', [local.email])).toBe(1);
    });

    it('is linked once the email is verified: the same account, its password login kept', async () => {
      const local = await registerUser(t, { email: uniqueEmail('dana') });
      const task = await createTask(t, local, { title: 'Dana’s local task' });
      const issuerUser = await issuer.signUp(local.email);
      await issuer.verifyEmail(issuerUser);
      const token = await issuer.token(issuerUser);
      expect(decodeJwt(token).payload.emailVerified).toBe(true);
      expect((await me(token).expect(200)).body.id).toBe(local.id);
      const tasks = await t.http().get('/api/me/tasks').set(bearer(token)).expect(200);
      expect(tasks.body.map((row: any) => row.id)).toEqual([task.id]);
      await t
        .http()
        .post('/api/auth/login')
        .send({ email: local.email, password: local.password })
        .expect(200);
    });

    it('OIDC’s email_verified counts too', async () => {
      const local = await registerUser(t, { email: uniqueEmail('erin') });
      const token = await issuer.sign({
        sub: 'oidc-erin',
        email: local.email,
        email_verified: true,
      });
      expect((await me(token).expect(200)).body.id).toBe(local.id);
    });
  });

  it('logging in by email as an account made by the issuer: 401 INVALID_CREDENTIALS', async () => {
    for (const password of ['password-123', 'issuer-password-1']) {
      const response = await t.http().post('/api/auth/login').send({ email: ann.email, password });
      expectProblem(response, 401, 'INVALID_CREDENTIALS');
    }
  });

  describe('ADMIN_EMAIL naming a user of the issuer', () => {
    it('the start-up left the account to the issuer; its first token made it an admin, audited', async () => {
      expect((await me(boss.token).expect(200)).body).toMatchObject({
        email: ADMIN_EMAIL,
        role: 'admin',
      });
      await t.http().get('/api/admin/stats').set(boss.auth).expect(200);
      const entries = await t.sql(
        `SELECT actor_id, details FROM audit_log WHERE action = 'user.bootstrap_admin' AND target_id = $1`,
        [boss.id],
      );
      expect(entries).toEqual([
        { actor_id: null, details: { created: true, issuer: issuer.issuer } },
      ]);
    });

    it('a banned user’s token is refused on the next request; unbanned, it works again', async () => {
      const user = await signIn();
      await t.http().post(`/api/admin/users/${user.id}/ban`).set(boss.auth).send({}).expect(200);
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
      expectProblem(await me(await issuer.token(user.issuerUser)), 401, 'UNAUTHENTICATED');
      await t.http().post(`/api/admin/users/${user.id}/unban`).set(boss.auth).expect(200);
      await me(user.token).expect(200);
    });

    it('a deleted user comes back as a new, empty account on its next valid token', async () => {
      const user = await signIn();
      await createTask(t, user, { title: 'Gone with the account' });
      await t.http().delete(`/api/admin/users/${user.id}`).set(boss.auth).expect(204);
      const again = await me(await issuer.token(user.issuerUser)).expect(200);
      expect(again.body.id).not.toBe(user.id);
      expect(again.body.email).toBe(user.email);
      const tasks = await t.http().get('/api/me/tasks').set(user.auth).expect(200);
      expect(tasks.body).toEqual([]);
      expect(await countRows(t, 'external_identities', 'subject = $1', [user.subject])).toBe(1);
    });
  });

  describe('no password or login here: 403 FORBIDDEN', () => {
    let local: Registered;
    beforeAll(async () => {
      local = await registerUser(t);
    });

    it.each([
      [
        'POST /api/auth/password',
        (token: string) =>
          t
            .http()
            .post('/api/auth/password')
            .set(bearer(token))
            .send({ current_password: 'password-123', new_password: 'new-password-123' }),
      ],
      [
        'GET /api/auth/sessions',
        (token: string) => t.http().get('/api/auth/sessions').set(bearer(token)),
      ],
      [
        'DELETE /api/auth/sessions/{id}',
        (token: string) =>
          t
            .http()
            .delete('/api/auth/sessions/00000000-0000-4000-8000-000000000000')
            .set(bearer(token)),
      ],
    ])('%s', async (_, call) => {
      expectProblem(await call(ann.token), 403, 'FORBIDDEN');
    });

    it.each([['refresh'], ['logout']])(
      'POST /api/auth/%s with the external token in Authorization; the refresh token is untouched',
      async (route) => {
        const login = await t
          .http()
          .post('/api/auth/login')
          .send({ email: local.email, password: local.password })
          .expect(200);
        const body = { refresh_token: login.body.refresh_token };
        const response = await t.http().post(`/api/auth/${route}`).set(ann.auth).send(body);
        expectProblem(response, 403, 'FORBIDDEN');
        // An invalid external token authenticates nobody: the route goes on as without it.
        const expired = await issuer.sign({ sub: ann.subject, exp: now() - 600 });
        await t
          .http()
          .post(`/api/auth/${route}`)
          .set(bearer(expired))
          .send(body)
          .expect(route === 'refresh' ? 200 : 204);
      },
    );
  });

  describe('isolation between an external user and a local one', () => {
    let local: Registered;
    let externalUser: ExternalUser;
    const tasks: Record<string, string> = {};
    beforeAll(async () => {
      local = await registerUser(t);
      externalUser = await signIn();
      tasks.external = (await createTask(t, externalUser, { title: 'External secret' })).id;
      tasks.local = (await createTask(t, local, { title: 'Local secret' })).id;
    });

    const routes: NamedRoute[] = [
      ['list', (t, base) => t.http().get(`${base}/tasks`)],
      ['create', (t, base) => t.http().post(`${base}/tasks`).send({ title: 'Intruder' })],
      ['get', (t, base, id) => t.http().get(`${base}/tasks/${id}`)],
      ['patch', (t, base, id) => t.http().patch(`${base}/tasks/${id}`).send({ title: 'Hacked' })],
      ['delete', (t, base, id) => t.http().delete(`${base}/tasks/${id}`)],
      ['lists', (t, base) => t.http().get(`${base}/lists`)],
    ];
    const state = (userId: () => string) => () =>
      t.sql('SELECT * FROM tasks WHERE user_id = $1 ORDER BY id', [userId()]);

    describe('the local user and an admin on the external user’s path', () => {
      describeIsolation({
        t,
        routes,
        byId: ['get', 'patch', 'delete'],
        owner: () => externalUser,
        intruder: () => local,
        admin: () => boss,
        targetId: () => tasks.external,
        state: state(() => externalUser.id),
        notFound: 'TASK_NOT_FOUND',
        secret: 'External secret',
      });
    });

    describe('the external user on the local user’s path', () => {
      describeIsolation({
        t,
        routes,
        byId: ['get', 'patch', 'delete'],
        owner: () => local,
        intruder: () => externalUser,
        targetId: () => tasks.local,
        state: state(() => local.id),
        notFound: 'TASK_NOT_FOUND',
        secret: 'Local secret',
      });
    });
  });

  // Last: it waits out the JWKS cooldown the tests before it started.
  it(
    'a key rotation at the issuer is picked up without a restart; unknown kids refetch at most every 30 s',
    async () => {
      const fetches = await issuer.jwksFetches();
      const wait = fetches[fetches.length - 1] + COOLDOWN_MS + 500 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

      expect(await issuer.rotateKey()).toBe(1);
      const rotated = await issuer.token(ann.issuerUser);
      expect(decodeJwt(rotated).header.kid).not.toBe(decodeJwt(ann.token).header.kid);
      await me(rotated).expect(200);
      expect(await issuer.jwksFetches()).toHaveLength(fetches.length + 1);
      // The old key is still in the set for its grace: tokens signed with it still pass.
      await me(ann.token).expect(200);

      // Another unknown kid right after: refused without fetching the set again.
      const stranger = await impostor.token(await impostor.signUp(uniqueEmail('late')));
      expectProblem(await me(stranger), 401, 'UNAUTHENTICATED');
      expect(await issuer.jwksFetches()).toHaveLength(fetches.length + 1);
    },
    COOLDOWN_MS + 20_000,
  );
});

describe('Tokens from an external issuer whose key set cannot be fetched', () => {
  let issuer: BetterAuthIssuer;
  let closedPort: number;
  beforeAll(async () => {
    issuer = await BetterAuthIssuer.start(AUDIENCE);
    closedPort = await freePort();
  }, 30_000);
  afterAll(() => issuer?.stop());
  const t = useTestApp(() => ({
    AUTH_JWKS_URL: `http://127.0.0.1:${closedPort}/api/auth/jwks`,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: AUDIENCE,
  }));

  it('401 UNAUTHENTICATED saying the keys cannot be fetched (any failure is 401); nothing created', async () => {
    const token = await issuer.token(await issuer.signUp(uniqueEmail('down')));
    const response = await t.http().get('/api/auth/me').set(bearer(token));
    expectProblem(response, 401, 'UNAUTHENTICATED');
    expect(response.body.detail).toMatch(/keys cannot be fetched/);
    expect(await countRows(t, 'users')).toBe(0);
  });

  it('a bad token is still a 401 (the algorithm is checked before any key is looked up)', async () => {
    const { header, payload } = decodeJwt(await issuer.sign({ sub: 'x', email: 'x@example.com' }));
    expectProblem(
      await t
        .http()
        .get('/api/auth/me')
        .set(bearer(forge({ ...header, alg: 'none' }, payload))),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('the API’s own tokens are not affected', async () => {
    const local = await registerUser(t);
    await t.http().get('/api/auth/me').set(local.auth).expect(200);
  });
});

describe('Without AUTH_JWKS_URL', () => {
  let issuer: BetterAuthIssuer;
  let t: TestApp;
  beforeAll(async () => {
    issuer = await BetterAuthIssuer.start(AUDIENCE);
    t = await createTestApp();
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await issuer?.stop();
  });

  it('an external token is just an invalid one: 401, and the issuer is never asked', async () => {
    const token = await issuer.token(await issuer.signUp(uniqueEmail('nobody')));
    expectProblem(await t.http().get('/api/auth/me').set(bearer(token)), 401, 'UNAUTHENTICATED');
    expect(await issuer.jwksFetches()).toEqual([]);
  });
});
