import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'better-auth-issuer.mjs');

/** A user signed up at the issuer, with its Better Auth session cookie. */
export interface IssuerUser {
  email: string;
  cookie: string;
}

/**
 * A real Better Auth with its JWT plugin, in a child process (better-auth-issuer.mjs) on a
 * loopback port. A test uses it as a web client does (sign-up, `GET /api/auth/token` with the
 * session cookie, the verification link) and as its owner does (sign a payload, rotate the key).
 */
export class BetterAuthIssuer {
  private next = 0;
  private readonly pending = new Map<number, (message: any) => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** Where it listens, e.g. http://127.0.0.1:40915. */
    readonly baseUrl: string,
    /** The `iss` of its tokens. */
    readonly issuer: string,
  ) {
    child.on('message', (message: any) => this.pending.get(message.id)?.(message));
  }

  /** `issuer` defaults to its own base URL, as Better Auth's does. */
  static async start(audience: string, issuer?: string): Promise<BetterAuthIssuer> {
    const child = fork(SCRIPT, [], {
      env: {
        PATH: process.env.PATH ?? '',
        AUDIENCE: audience,
        ...(issuer ? { ISSUER: issuer } : {}),
        BETTER_AUTH_SECRET: 'better-auth-secret-of-the-e2e-tests-0123456789',
        BETTER_AUTH_TELEMETRY: '0',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const ready = await new Promise<{ baseURL: string; issuer: string }>((resolve, reject) => {
      child.once('message', (message: any) => resolve(message.ready));
      child.once('exit', (code) =>
        reject(new Error(`Better Auth exited (${code}) before it was ready`)),
      );
    });
    return new BetterAuthIssuer(child, ready.baseURL, ready.issuer);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  /** The JWKS URL to give the API (AUTH_JWKS_URL). */
  get jwksUrl(): string {
    return `${this.baseUrl}/api/auth/jwks`;
  }

  /** Email-and-password sign-up; Better Auth signs the user in (its session cookie). */
  async signUp(email: string, name = 'Issuer User'): Promise<IssuerUser> {
    const response = await fetch(`${this.baseUrl}/api/auth/sign-up/email`, {
      method: 'POST',
      // Better Auth refuses a cookie-setting POST without an Origin it trusts (its own).
      headers: { 'content-type': 'application/json', origin: this.baseUrl },
      body: JSON.stringify({ email, password: 'issuer-password-1', name }),
    });
    if (response.status !== 200)
      throw new Error(`sign-up: ${response.status} ${await response.text()}`);
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    return { email, cookie };
  }

  /** A JWT for the signed-in user, as a web client gets one: `GET /api/auth/token`. */
  async token(user: IssuerUser): Promise<string> {
    const response = await fetch(`${this.baseUrl}/api/auth/token`, {
      headers: { cookie: user.cookie },
    });
    if (response.status !== 200)
      throw new Error(`token: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { token: string }).token;
  }

  /** Follows the verification link Better Auth "mailed" at sign-up: the email is verified. */
  async verifyEmail(user: IssuerUser): Promise<void> {
    const link = await this.command<string | null>('verificationLink', { email: user.email });
    if (!link) throw new Error(`no verification link for ${user.email}`);
    const response = await fetch(link, { redirect: 'manual' });
    if (response.status !== 302) throw new Error(`verify-email: ${response.status}`);
  }

  /** A token for any payload, signed with the issuer's current key (iss, aud, exp default). */
  sign(payload: Record<string, unknown>): Promise<string> {
    return this.command('sign', { payload });
  }

  /** Expires the current key as `jwks.rotationInterval` does: the next token has a new kid. */
  rotateKey(): Promise<number> {
    return this.command('rotate');
  }

  /** When the JWKS was fetched (by the API: the tests never fetch it themselves). */
  jwksFetches(): Promise<number[]> {
    return this.command('jwksFetches');
  }

  private command<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (message) => {
        this.pending.delete(id);
        if (message.error) reject(new Error(message.error));
        else resolve(message.result as T);
      });
      this.child.send({ id, command, ...args });
    });
  }
}

/** The decoded header and payload of a JWT (no check: for building tampered tokens). */
export function decodeJwt(token: string): { header: any; payload: any } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}
