import type { Role } from '../users/user.entity';

/** Who is calling: resolved from the token and the database on every request. */
export interface AuthUser {
  id: string;
  role: Role;
  /** The login (refresh-token family) the access token belongs to. */
  sessionId: string;
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
