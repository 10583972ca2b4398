import { applyDecorators, Controller, UseInterceptors } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiTokenAccess } from '../auth/api-tokens/token-access';
import { OwnershipInterceptor } from '../tasks/ownership.interceptor';
import { ApiProblem } from './api-problems.decorator';

/**
 * A controller of the owner's routes, `/api/{user_id}/...`: the path's user must be the caller
 * (or `me`), else 403, whoever the caller is (OwnershipInterceptor); documented once here.
 * An API token needs `tasks:read` to read here, `tasks:write` for anything else.
 */
export const OwnerRoutes = (tag: string, path: string) =>
  applyDecorators(
    ApiTags(tag),
    ApiParam({ name: 'user_id', description: "Your own user id, or 'me'", example: 'me' }),
    ApiProblem(403, "{user_id} is not your id nor 'me' (FORBIDDEN), admins included"),
    UseInterceptors(OwnershipInterceptor),
    ApiTokenAccess('owner'),
    Controller(`api/:user_id/${path}`),
  );
