import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { expectProblem, registerUser, uniqueEmail } from './support/builders';
import { authApi } from './support/auth';
import { TEST_JWT_SECRET, useTestApp } from './support/test-app';

describe('Auth: register, login, me', () => {
  const t = useTestApp();
  const { me, updateMe } = authApi(t);

  describe('POST /api/auth/register', () => {
    it('creates the account and returns a Session', async () => {
      const email = uniqueEmail('Alice');
      const response = await t
        .http()
        .post('/api/auth/register')
        .send({ email: `  ${email.toUpperCase()} `, password: 'password-123', name: 'Alice' })
        .expect(201);
      expect(response.body).toEqual({
        user: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          email: email.toLowerCase(),
          name: 'Alice',
          role: 'user',
          created_at: expect.stringMatching(/Z$/),
          updated_at: expect.stringMatching(/Z$/),
        },
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
      });
      const [row] = await t.sql<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [response.body.user.id],
      );
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(JSON.stringify(response.body)).not.toContain('argon2');
      const [session] = await t.sql<{ token_hash: Buffer }>(
        `SELECT r.token_hash FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE s.user_id = $1`,
        [response.body.user.id],
      );
      expect(session.token_hash.toString('utf8')).not.toContain(response.body.refresh_token);
    });

    it('name is optional (null)', async () => {
      const response = await t
        .http()
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: 'password-123' })
        .expect(201);
      expect(response.body.user.name).toBeNull();
    });

    it('refuses an email already taken, whatever its case: 409 EMAIL_TAKEN', async () => {
      const user = await registerUser(t);
      const response = await t
        .http()
        .post('/api/auth/register')
        .send({ email: user.email.toUpperCase(), password: 'password-456' });
      expectProblem(response, 409, 'EMAIL_TAKEN');
      const [{ count }] = await t.sql<{ count: string }>(
        'SELECT count(*) FROM users WHERE email = $1',
        [user.email],
      );
      expect(count).toBe('1');
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: 'password-123' }, 'email'],
      ['a missing email', { password: 'password-123' }, 'email'],
      ['a password shorter than 8', { email: uniqueEmail(), password: 'short' }, 'password'],
      [
        'a password longer than 128',
        { email: uniqueEmail(), password: 'x'.repeat(129) },
        'password',
      ],
      ['a non-string password', { email: uniqueEmail(), password: 12345678 }, 'password'],
      [
        'a name over 100 characters',
        { email: uniqueEmail(), password: 'password-123', name: 'n'.repeat(101) },
        'name',
      ],
      [
        'an unknown field',
        { email: uniqueEmail(), password: 'password-123', role: 'admin' },
        'role',
      ],
    ])('rejects %s with 400 naming the field', async (_, body, field) => {
      const response = await t.http().post('/api/auth/register').send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('accepts a password of exactly 8 and 128 characters', async () => {
      await t
        .http()
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: 'x'.repeat(8) })
        .expect(201);
      await t
        .http()
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: 'x'.repeat(128) })
        .expect(201);
    });
  });

  describe('POST /api/auth/login', () => {
    it('returns a Session for the right password, whatever the email case', async () => {
      const user = await registerUser(t, { name: 'Bob' });
      const response = await t
        .http()
        .post('/api/auth/login')
        .send({ email: ` ${user.email.toUpperCase()}`, password: user.password })
        .expect(200);
      expect(response.body).toMatchObject({
        user: { id: user.id, email: user.email, name: 'Bob' },
        token_type: 'Bearer',
      });
      await me(response.body.access_token).expect(200);
      const [row] = await t.sql<{ last_login_at: Date | null }>(
        'SELECT last_login_at FROM users WHERE id = $1',
        [user.id],
      );
      expect(row.last_login_at).toBeInstanceOf(Date);
    });

    it('answers a wrong password and an unknown email identically: 401 INVALID_CREDENTIALS', async () => {
      const user = await registerUser(t);
      const wrong = await t
        .http()
        .post('/api/auth/login')
        .send({ email: user.email, password: 'wrong-password' });
      const unknown = await t
        .http()
        .post('/api/auth/login')
        .send({ email: uniqueEmail(), password: 'wrong-password' });
      expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
      expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('rejects a malformed body with 400', async () => {
      expectProblem(
        await t.http().post('/api/auth/login').send({ email: 'a@b.io' }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('GET and PATCH /api/auth/me', () => {
    it('returns and updates the current user', async () => {
      const user = await registerUser(t, { name: 'Carol' });
      const current = await me(user.token).expect(200);
      expect(current.body).toEqual({
        id: user.id,
        email: user.email,
        name: 'Carol',
        role: 'user',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const patched = await updateMe(user, { name: '  Caroline ' }).expect(200);
      expect(patched.body.name).toBe('Caroline');
      expect((await me(user.token)).body.name).toBe('Caroline');
    });

    it('PATCH rejects a long name, an unknown field and a role change', async () => {
      const user = await registerUser(t);
      expectProblem(await updateMe(user, { name: 'x'.repeat(101) }), 400, 'VALIDATION_FAILED');
      expectProblem(await updateMe(user, { name: 'x', role: 'admin' }), 400, 'VALIDATION_FAILED');
      expect((await me(user.token)).body.role).toBe('user');
    });
  });

  describe('tokens that are refused with 401 UNAUTHENTICATED and WWW-Authenticate: Bearer', () => {
    const jwt = new JwtService();
    const sign = (payload: object, options: Record<string, unknown> = {}) =>
      jwt.sign(
        payload as Record<string, unknown>,
        {
          secret: TEST_JWT_SECRET,
          algorithm: 'HS256',
          issuer: 'task-api',
          audience: 'task-api',
          expiresIn: 900,
          header: { alg: 'HS256', typ: 'at+jwt' },
          ...options,
        } as never,
      );

    let claims: { sub: string; sid: string; ver: number };
    let valid: string;
    let refreshToken: string;
    beforeAll(async () => {
      const user = await registerUser(t);
      valid = user.token;
      refreshToken = user.refreshToken;
      const payload = JSON.parse(Buffer.from(valid.split('.')[1], 'base64url').toString());
      claims = { sub: payload.sub, sid: payload.sid, ver: payload.ver };
    });

    const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const cases: [string, () => string | undefined][] = [
      ['no token', () => undefined],
      ['a malformed token', () => 'Bearer not.a.jwt'],
      ['a tampered token', () => `Bearer ${valid.slice(0, -2)}${valid.endsWith('A') ? 'B' : 'A'}A`],
      [
        'a token signed with another key',
        () => `Bearer ${sign(claims, { secret: 'another-secret-that-is-long-enough-0123456789' })}`,
      ],
      [
        'an alg:none token',
        () =>
          `Bearer ${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url({ ...claims, iss: 'task-api', aud: 'task-api', exp: 9999999999 })}.`,
      ],
      [
        'an HS512 token with the right key',
        () => {
          const head = base64url({ alg: 'HS512', typ: 'at+jwt' });
          const body = base64url({ ...claims, iss: 'task-api', aud: 'task-api', exp: 9999999999 });
          const signature = createHmac('sha512', TEST_JWT_SECRET)
            .update(`${head}.${body}`)
            .digest('base64url');
          return `Bearer ${head}.${body}.${signature}`;
        },
      ],
      [
        'an expired token',
        () =>
          `Bearer ${sign({ ...claims, iat: Math.floor(Date.now() / 1000) - 100 }, { expiresIn: 10 })}`,
      ],
      ['a wrong issuer', () => `Bearer ${sign(claims, { issuer: 'someone-else' })}`],
      ['a wrong audience', () => `Bearer ${sign(claims, { audience: 'someone-else' })}`],
      [
        'a token without the access-token typ',
        () => `Bearer ${sign(claims, { header: { alg: 'HS256', typ: 'JWT' } })}`,
      ],
      [
        'a token for a user that does not exist',
        () => `Bearer ${sign({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}`,
      ],
      [
        'a token with an old token version',
        () => `Bearer ${sign({ ...claims, ver: claims.ver + 1 })}`,
      ],
      ['a Basic authorization', () => 'Basic dXNlcjpwYXNz'],
      ['a refresh token used as an access token', () => `Bearer ${refreshToken}`],
      [
        'a token naming a login that does not exist',
        () => `Bearer ${sign({ ...claims, sid: '00000000-0000-4000-8000-000000000000' })}`,
      ],
    ];

    it.each(cases)('%s', async (_, header) => {
      const value = header();
      const call = t.http().get('/api/auth/me');
      if (value) call.set('Authorization', value);
      const response = await call;
      expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('the genuine token works (so the cases above fail for their own reason)', async () => {
      await me(valid).expect(200);
      await me(sign(claims)).expect(200);
    });

    it("a banned user's valid token is refused on the next request", async () => {
      const user = await registerUser(t);
      await me(user.token).expect(200);
      await t.sql('UPDATE users SET banned = true WHERE id = $1', [user.id]);
      const response = await me(user.token);
      expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it("a deleted user's token is refused on the next request", async () => {
      const user = await registerUser(t);
      await me(user.token).expect(200);
      await t.sql('DELETE FROM users WHERE id = $1', [user.id]);
      expectProblem(await me(user.token), 401, 'UNAUTHENTICATED');
    });
  });
});
