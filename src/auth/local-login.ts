import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ApiProblem } from '../common/api-problems.decorator';
import { forbidden } from '../common/problem';
import { LOCAL_LOGIN_OPERATION } from '../openapi/openapi-document';
import type { AuthUser } from './auth-user';

export const LOCAL_LOGIN_ONLY = 'localLoginOnly';

export const noLocalLogin = () =>
  forbidden(
    'A token of the external issuer has no password or login here: manage them at the issuer.',
  );

/**
 * A route about a password or a login here (password change, refresh, logout, sessions):
 * 403 FORBIDDEN for a caller with an external issuer's token (JwtAuthGuard), and the OpenAPI
 * document leaves the external scheme off it. On a @Public() route (refresh, logout), "the caller"
 * is whoever sends a valid external token in Authorization alongside the refresh token.
 */
export const LocalLoginOnly = (publicRoute = false) =>
  applyDecorators(
    SetMetadata(LOCAL_LOGIN_ONLY, true),
    ApiExtension(LOCAL_LOGIN_OPERATION, true),
    ApiProblem(
      403,
      publicRoute
        ? 'The request carries a valid token of the external issuer, which has no login here (FORBIDDEN)'
        : 'The token is the external issuer’s: it has no password or login here (FORBIDDEN)',
    ),
  );

/** The caller's login here: the guard let only local logins through, checked again here. */
export function loginOf(user: AuthUser): string {
  if (user.credential !== 'session') throw noLocalLogin();
  return user.sessionId;
}
