import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../common/problem';
import { presentedApiToken } from './api-tokens/api-token-hasher';
import { ApiTokensService } from './api-tokens/api-tokens.service';
import type { AuthUser } from './auth-user';
import { ExternalAuthService } from './external/external-auth.service';
import { LOCAL_LOGIN_ONLY } from './local-login';
import { IS_PUBLIC } from './public.decorator';

/** Global: every route needs a valid access token unless it is marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiTokens: ApiTokensService,
    private readonly external: ExternalAuthService,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    // A JWT of the external issuer (AUTH_JWKS_URL) is checked with jose; ours keep passport-jwt.
    const externalToken = this.external.tokenOf(request);
    if (externalToken) {
      const localLoginOnly = this.reflector.getAllAndOverride<boolean>(LOCAL_LOGIN_ONLY, targets);
      return this.external.admit(request, externalToken, {
        isPublic,
        localLoginOnly: localLoginOnly === true,
      });
    }
    if (isPublic) return true;
    // An API token is opaque, not a JWT: its service checks it; any other bearer goes to passport.
    const apiToken = presentedApiToken(request.headers.authorization);
    if (apiToken === undefined) return super.canActivate(context);
    return this.apiTokens.authenticate(apiToken).then((caller) => {
      request.user = caller;
      return true;
    });
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error || !user) {
      // Database outages and bugs keep their own answer; only token problems are a 401.
      if (error && !(error instanceof Error && error.name === 'UnauthorizedException')) throw error;
      throw unauthenticated();
    }
    return user;
  }
}
