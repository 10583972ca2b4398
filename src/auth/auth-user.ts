import type { Role } from '../users/user.entity';
import type { ApiScope } from './api-tokens/token-access';

/**
 * What the caller authenticated with: an access token of a login here (`session`), an API token
 * (`api_token`), or a JWT of the configured external issuer (`external`).
 */
export type Credential = 'session' | 'api_token' | 'external';

interface Caller {
  id: string;
  /** The role in the database at this request. */
  role: Role;
}

/** An access token of ours, from a login. */
export interface SessionCaller extends Caller {
  credential: 'session';
  /** The login (refresh-token family) the access token belongs to. */
  sessionId: string;
}

/** An API token (`tap_...`): only what its scopes allow (ApiTokenScopeGuard). */
export interface ApiTokenCaller extends Caller {
  credential: 'api_token';
  tokenId: string;
  scopes: readonly ApiScope[];
}

/** A JWT of a configured external issuer. */
export interface ExternalCaller extends Caller {
  credential: 'external';
}

/** Who is calling: resolved from the credential and the database on every request. */
export type AuthUser = SessionCaller | ApiTokenCaller | ExternalCaller;

/** Claims of our access tokens (RFC 8725: explicitly typed, issuer and audience pinned). */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  /** The user's token_version when issued. */
  ver: number;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export const JWT_ISSUER = 'task-api';
export const JWT_AUDIENCE = 'task-api';
/** The JOSE `typ` of access tokens (RFC 9068): nothing else we sign can pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
