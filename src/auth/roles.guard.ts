import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { forbidden, unauthenticated } from '../common/problem';
import type { Role } from '../users/user.entity';
import type { AuthUser } from './auth-user';
import { ROLES_KEY } from './roles.decorator';

/**
 * Runs after the global JwtAuthGuard, whose per-request database check put the caller's current
 * role on the request: a promotion or demotion applies on the very next request, old token or not.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!allowed?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) throw unauthenticated();
    if (!allowed.includes(user.role)) {
      throw forbidden(`This route needs the role ${allowed.join(' or ')}.`);
    }
    return true;
  }
}
