import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ProblemException } from '../../common/problem';
import { externalBearer, OWN_TOKEN } from './external-auth.service';
import { ExternalTokenVerifier } from './external-token.verifier';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'https://tasks.example.test';

/** A key set served over loopback HTTP, the way an issuer serves its own. */
class KeySetServer {
  keys: JWK[] = [];
  /** What the next fetches get instead of the set: a status and a body. */
  failure?: { status: number; body: string };
  fetches = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((_request, response) => {
      this.fetches++;
      if (this.failure) return response.writeHead(this.failure.status).end(this.failure.body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

async function signer(alg: string, kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg };
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg, kid, ...header }).sign(privateKey);
  return { jwk, sign };
}

const now = () => Math.floor(Date.now() / 1000);
const good = () => ({ sub: 'subject-1', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 });

/** The status of the ProblemException `verify` throws, or 200 when it resolves. */
async function statusOf(verifier: ExternalTokenVerifier, token: string): Promise<number> {
  try {
    await verifier.verify(token);
    return 200;
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return (error as ProblemException).getStatus();
  }
}

describe('ExternalTokenVerifier (jose, against a key set served over HTTP)', () => {
  const keySet = new KeySetServer();
  let url: string;
  let ed: Awaited<ReturnType<typeof signer>>;
  let rsa: Awaited<ReturnType<typeof signer>>;
  const verifier = (algorithms = ['EdDSA', 'ES256', 'RS256']) =>
    new ExternalTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, algorithms });

  beforeAll(async () => {
    url = await keySet.start();
    ed = await signer('EdDSA', 'ed-1');
    rsa = await signer('RS256', 'rsa-1');
    keySet.keys = [ed.jwk, rsa.jwk];
  });
  afterAll(() => keySet.stop());
  beforeEach(() => (keySet.failure = undefined));

  describe('a token verified once', () => {
    let clock = 0;
    const remembering = () =>
      new ExternalTokenVerifier(
        { jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'] },
        () => clock,
      );
    beforeEach(() => (clock = Date.now()));

    it('is taken from memory for a minute (the same claims), then checked again', async () => {
      const verifier = remembering();
      const token = await ed.sign(good());
      const first = await verifier.verify(token);
      clock += 59_000;
      expect(await verifier.verify(token)).toBe(first);
      clock += 2_000;
      const again = await verifier.verify(token);
      expect(again).not.toBe(first);
      expect(again).toEqual(first);
    });

    it('is not taken from memory past its exp and the skew', async () => {
      const verifier = remembering();
      // Expired 30 s ago: still within the 60 s of skew, so good for 30 s more.
      const token = await ed.sign({ ...good(), exp: now() - 30 });
      const first = await verifier.verify(token);
      clock += 29_000;
      expect(await verifier.verify(token)).toBe(first);
      clock += 2_000;
      expect(await verifier.verify(token)).not.toBe(first);
    });
  });

  it('accepts a token of a listed algorithm and answers its claims', async () => {
    await expect(verifier().verify(await ed.sign({ ...good(), email: 'a@b.co' }))).resolves.toEqual(
      expect.objectContaining({ sub: 'subject-1', email: 'a@b.co' }),
    );
    expect(await statusOf(verifier(), await rsa.sign(good()))).toBe(200);
  });

  it('refuses an algorithm AUTH_ALGORITHMS leaves out, even with a key of the set', async () => {
    expect(await statusOf(verifier(['EdDSA']), await rsa.sign(good()))).toBe(401);
  });

  it.each([
    ['no exp', { exp: undefined }],
    ['no sub', { sub: undefined }],
    ['an empty sub', { sub: '' }],
    ['a sub that is not a string', { sub: 42 }],
    ['another issuer', { iss: 'https://other.example.test' }],
    ['another audience', { aud: 'https://other-api.example.test' }],
    ['expired beyond the 60 s of skew', () => ({ exp: now() - 120 })],
    ['not valid before a time beyond the skew', () => ({ nbf: now() + 120 })],
  ])('refuses a token with %s: 401', async (_, changed) => {
    const change = typeof changed === 'function' ? changed() : changed;
    const claims: Record<string, unknown> = { ...good(), ...change };
    for (const key of Object.keys(change)) if (claims[key] === undefined) delete claims[key];
    expect(await statusOf(verifier(), await ed.sign(claims))).toBe(401);
  });

  it('a token whose kid the set does not have: 401', async () => {
    const stranger = await signer('EdDSA', 'unknown-kid');
    expect(await statusOf(verifier(), await stranger.sign(good()))).toBe(401);
  });

  it.each([
    ['a 500', { status: 500, body: 'oops' }],
    ['a 404', { status: 404, body: 'not here' }],
    ['a body that is not JSON', { status: 200, body: '<html>' }],
    ['JSON that is not a key set', { status: 200, body: '{"keys": 1}' }],
  ])('a key set answered with %s: 401 (the contract: any failure)', async (_, failure) => {
    keySet.failure = failure;
    expect(await statusOf(verifier(), await ed.sign(good()))).toBe(401);
  });

  it('a key set nobody answers for (connection refused): 401', async () => {
    const down = new ExternalTokenVerifier({
      jwksUrl: 'http://127.0.0.1:9/jwks',
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
    });
    expect(await statusOf(down, await ed.sign(good()))).toBe(401);
  });

  it('fetches the set once, then again only for an unknown kid after the 30 s cooldown', async () => {
    const v = verifier();
    const before = keySet.fetches;
    await v.verify(await ed.sign(good()));
    await v.verify(await rsa.sign(good()));
    const stranger = await signer('EdDSA', 'new-kid');
    expect(await statusOf(v, await stranger.sign(good()))).toBe(401);
    expect(keySet.fetches - before).toBe(1);
  });
});

describe('externalBearer: which bearer tokens go to the external verifier', () => {
  const jwt = (header: object) =>
    `${Buffer.from(JSON.stringify(header)).toString('base64url')}.eyJzdWIiOiJ4In0.c2ln`;

  it('not the API’s own (the fixed header), nor any other HS256 token, nor a non-JWT', () => {
    expect(externalBearer(`${OWN_TOKEN}eyJzdWIiOiJ4In0.c2ln`)).toBeUndefined();
    expect(externalBearer(`Bearer ${jwt({ typ: 'JWT', alg: 'HS256' })}`)).toBeUndefined();
    expect(externalBearer('Bearer tap_abcdefghijklmnopqrstuvwxyz012345')).toBeUndefined();
    expect(externalBearer('Bearer not.a-json-header.x')).toBeUndefined();
    expect(externalBearer(`Basic ${jwt({ alg: 'EdDSA' })}`)).toBeUndefined();
    expect(externalBearer(undefined)).toBeUndefined();
  });

  it('a JWT of any other algorithm, none included (jose refuses it), whatever the case of Bearer', () => {
    for (const alg of ['EdDSA', 'RS256', 'none']) {
      const token = jwt({ alg, kid: 'k' });
      expect(externalBearer(`Bearer ${token}`)).toBe(token);
      expect(externalBearer(`bearer ${token}`)).toBe(token);
    }
  });

  it('the fixed header is base64url of {"alg":"HS256","typ":"at+jwt"}', () => {
    expect(Buffer.from(OWN_TOKEN.slice(7, -1), 'base64url').toString()).toBe(
      '{"alg":"HS256","typ":"at+jwt"}',
    );
  });
});
