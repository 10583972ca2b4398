import type { Role } from '../users/user.entity';

/**
 * What the caller authenticated with: an access token of a login here (`session`), an API token
 * (`api_token`), or a JWT of the configured external issuer (`external`).
 */
export type Credential = 'session' | 'api_token' | 'external';

/** Who is calling: resolved from the token and the database on every request. */
export interface AuthUser {
  id: string;
  role: Role;
  credential: Credential;
  /** The login (refresh-token family) the access token belongs to: `session` callers only. */
  sessionId?: string;
}

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
