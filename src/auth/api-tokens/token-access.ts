import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/** What an API token may be allowed to do, in the order the API lists them. */
export const API_SCOPES = ['tasks:read', 'tasks:write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/**
 * How a route treats API tokens:
 * - `owner`: the owner's data under `/api/{user_id}`: a GET (and its HEAD) needs `tasks:read` or
 *   `tasks:write`, any other method `tasks:write`;
 * - `admin`: the scope `admin` (and RolesGuard still wants the role);
 * - `any`: any valid API token (GET /api/auth/me);
 * - `none`: no API token, whatever its scopes (the account and token routes).
 * A route with no access declared refuses API tokens like `none`: a new route is closed to them
 * until someone decides otherwise.
 */
export type TokenAccess = 'owner' | 'admin' | 'any' | 'none';

export const TOKEN_ACCESS = 'apiTokenAccess';
/** The same on the OpenAPI operation, which finishDocument turns into its security and 403. */
export const TOKEN_ACCESS_EXTENSION = 'x-api-token-access';

/** Declares a controller's (or one route's: it wins) treatment of API tokens. */
export const ApiTokenAccess = (access: TokenAccess) =>
  applyDecorators(SetMetadata(TOKEN_ACCESS, access), ApiExtension(TOKEN_ACCESS_EXTENSION, access));

const ANY_WRITE: readonly ApiScope[] = ['tasks:write'];
const ANY_READ: readonly ApiScope[] = ['tasks:read', 'tasks:write'];
const ADMIN: readonly ApiScope[] = ['admin'];

/**
 * The scopes any one of which lets an API token call a route declared with `access` for the HTTP
 * `method` (as the route declares it: `GET`, `POST`...; Fastify's HEAD of a GET route is the
 * GET); undefined when no API token may. The scope guard and the OpenAPI document both ask here.
 */
export function acceptedScopes(
  access: TokenAccess | undefined,
  method: string,
): readonly ApiScope[] | undefined {
  switch (access) {
    case 'owner':
      return method === 'GET' || method === 'HEAD' ? ANY_READ : ANY_WRITE;
    case 'admin':
      return ADMIN;
    case 'any':
      return API_SCOPES;
    default:
      return undefined;
  }
}
