import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { forbidden } from '../common/problem';
import { pathNamesCaller } from './ownership';

/**
 * The edge half of isolation: `/api/{user_id}/...` answers 403 unless `{user_id}` is the caller
 * (or `me`). The service is the other half: it reads and writes only by (id, owner id).
 */
@Injectable()
export class OwnershipInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { user_id?: string } }> & { user: AuthUser }>();
    if (!pathNamesCaller(request.params.user_id, request.user.id)) {
      throw forbidden("You can only reach your own tasks: use your own id or 'me' in the path.");
    }
    return next.handle();
  }
}
