import { CanActivate, ExecutionContext, Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { insufficientScope } from '../../common/problem';
import type { AuthUser } from '../auth-user';
import { presentedApiToken } from './api-token-hasher';
import { acceptedScopes, TOKEN_ACCESS, type TokenAccess } from './token-access';

/**
 * Global, right after JwtAuthGuard (which put the caller on the request): the one place where
 * an API token's scopes are enforced, from each route's declared access (@ApiTokenAccess, set by
 * OwnerRoutes, AdminOnly and the auth controllers) and the HTTP method the route declares, never
 * from the URL. A route that declares nothing refuses API tokens, so a new route cannot be
 * opened to them by forgetting. Other callers pass untouched: RolesGuard and the ownership check
 * still apply to everyone after this.
 */
@Injectable()
export class ApiTokenScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const caller = request.user;
    if (caller) {
      if (caller.credential !== 'api_token') return true;
    } else if (presentedApiToken(request.headers.authorization) === undefined) {
      return true;
    }
    const access = this.reflector.getAllAndOverride<TokenAccess | undefined>(TOKEN_ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!caller) {
      // A public route takes no credential, so a token sent along is ignored, except on the
      // /api/auth routes, which say `none`: logging in or refreshing is not for an API token.
      if (access === 'none') throw refused();
      return true;
    }
    const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, context.getHandler())];
    const accepted = acceptedScopes(access, method);
    if (!accepted) throw refused();
    if (!accepted.some((scope) => caller.scopes.includes(scope))) {
      throw insufficientScope(
        `This route needs an API token with the scope ${accepted.join(' or ')}.`,
      );
    }
    return true;
  }
}

const refused = () =>
  insufficientScope(
    'No API token can call this route: use an access token (POST /api/auth/login).',
  );
