import { Inject, Injectable, Logger } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { JWTPayload } from 'jose';
import { AuditLogRepository } from '../../admin/audit-log.repository';
import { conflict, unauthenticated } from '../../common/problem';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { Sql } from '../../database/sql';
import type { AuthUser } from '../auth-user';
import { noLocalLogin } from '../local-login';
import { ExternalIdentitiesRepository, type LinkedUser } from './external-identities.repository';
import { ExternalTokenVerifier } from './external-token.verifier';

/**
 * The header segment of every access token this API signs (`{"alg":"HS256","typ":"at+jwt"}`,
 * as jsonwebtoken writes it): a bearer token starting with it goes to passport-jwt untouched.
 */
export const OWN_TOKEN = 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.';

/** What the route asks of an external token (from its decorators). */
export interface ExternalRoute {
  isPublic: boolean;
  localLoginOnly: boolean;
}

/**
 * Bearer JWTs of the external issuer: which requests carry one, whom they speak for, and the
 * account a subject's first token makes or links.
 */
@Injectable()
export class ExternalAuthService {
  private readonly logger = new Logger('ExternalAuth');
  private readonly verifier?: ExternalTokenVerifier;
  private readonly issuer?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sql: Sql,
    private readonly identities: ExternalIdentitiesRepository,
    private readonly audit: AuditLogRepository,
  ) {
    if (config.externalAuth) {
      this.verifier = new ExternalTokenVerifier(config.externalAuth);
      this.issuer = config.externalAuth.issuer;
    }
  }

  /** The bearer token when it is for the external verifier: only with an issuer configured. */
  tokenOf(request: { headers: Record<string, string | string[] | undefined> }) {
    return this.verifier ? externalBearer(request.headers.authorization) : undefined;
  }

  /**
   * Lets the request through with an external token (JwtAuthGuard's other half), putting the
   * caller on `request.user`. On a @Public() route the token authenticates nobody, but a valid
   * one on a local-login route (refresh, logout) says the caller has no login here: 403.
   */
  async admit(request: { user?: AuthUser }, token: string, route: ExternalRoute): Promise<true> {
    if (route.isPublic) {
      if (route.localLoginOnly && (await this.verifies(token))) throw noLocalLogin();
      return true;
    }
    const user = await this.authenticate(token);
    if (route.localLoginOnly) throw noLocalLogin();
    request.user = user;
    return true;
  }

  /** The caller the token speaks for: one query once the subject has an account. */
  async authenticate(token: string): Promise<AuthUser> {
    const claims = await this.verifier!.verify(token);
    const user =
      (await this.identities.findLinked(this.issuer!, claims.sub)) ??
      (await this.firstRequest(claims));
    if (user.banned) throw unauthenticated('This account has been banned.');
    return { id: user.id, role: user.role, credential: 'external' };
  }

  private async verifies(token: string): Promise<boolean> {
    return this.verifier!.verify(token).then(
      () => true,
      () => false,
    );
  }

  /**
   * The subject's account, made or linked in one transaction under a lock on the subject (so 10
   * first requests at once make one account and one link). A new account takes the `email` and
   * `name` claims and the role `user` (`admin` for ADMIN_EMAIL, which the start-up could not make
   * before it existed). An account that already has the email is linked only when the token says
   * the email is verified: else anyone who can sign up at the issuer with someone's address would
   * get their tasks.
   */
  private firstRequest(claims: JWTPayload & { sub: string }): Promise<LinkedUser> {
    const email = emailOf(claims);
    const issuer = this.issuer!;
    return this.sql.transaction(async (tx) => {
      await this.identities.lockSubject(tx, issuer, claims.sub);
      const linked = await this.identities.findLinked(issuer, claims.sub, tx);
      if (linked) return linked;
      const role = email === this.config.adminEmail ? 'admin' : 'user';
      const created = await this.identities.createUser(tx, { email, name: nameOf(claims), role });
      if (!created && !emailVerified(claims)) {
        throw conflict(
          'EMAIL_TAKEN',
          'An account with this email already exists here, and the token does not say the ' +
            'email is verified: verify it at the sign-in service, then try again.',
        );
      }
      const user = created ?? (await this.identities.findUserByEmail(tx, email));
      // Deleted between the two statements: nothing to link, and the next try makes it anew.
      if (!user) throw unauthenticated('The account changed meanwhile: try again.');
      await this.identities.link(tx, issuer, claims.sub, user.id);
      if (created?.role === 'admin') {
        await this.audit.insert(tx, {
          actorId: null,
          action: 'user.bootstrap_admin',
          targetType: 'user',
          targetId: created.id,
          details: { created: true, issuer },
        });
        this.logger.log(`${email} created as the bootstrap admin at its first external sign-in`);
      }
      return user;
    });
  }
}

/**
 * The token of an `Authorization: Bearer` JWT not signed HS256, which every token of ours is.
 * Ours are recognized by their fixed header first (a string comparison, nothing decoded: GET one
 * task pays nothing for this); anything undecodable also stays with passport-jwt (a 401).
 */
export function externalBearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.startsWith(OWN_TOKEN)) return undefined;
  const match = /^bearer +([\w-]+)\.([\w-]*)\.([\w-]*)$/i.exec(header);
  if (!match) return undefined;
  try {
    const { alg } = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
    return typeof alg === 'string' && alg !== 'HS256' ? match.slice(1).join('.') : undefined;
  } catch {
    return undefined;
  }
}

/** The `email` claim as the users table keeps emails; none (or not an email) is a 401. */
function emailOf(claims: JWTPayload): string {
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  if (email.length > 254 || !isEmail(email)) {
    throw unauthenticated(
      'The token has no usable `email` claim: it is needed for a first sign-in.',
    );
  }
  return email;
}

/** The display name: at most 100 characters, like one set here; blank is none. */
function nameOf(claims: JWTPayload): string | null {
  const name =
    typeof claims.name === 'string' ? [...claims.name.trim()].slice(0, 100).join('') : '';
  return name === '' ? null : name;
}

/** OIDC says `email_verified`; Better Auth's user field is `emailVerified`. */
const emailVerified = (claims: JWTPayload) =>
  claims.email_verified === true || claims.emailVerified === true;
