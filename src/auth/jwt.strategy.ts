import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { unauthenticated } from '../common/problem';
import { isUuid } from '../common/uuid';
import { UsersRepository } from '../users/users.repository';
import {
  ACCESS_TOKEN_TYPE,
  AccessTokenClaims,
  AuthUser,
  JWT_AUDIENCE,
  JWT_ISSUER,
} from './auth-user';

interface CompleteToken {
  header: { typ?: string };
  payload: AccessTokenClaims;
}

/**
 * Verifies the bearer token (HS256 only, issuer, audience, expiry, `typ`), then checks the user
 * and its login in the database, so a deleted or banned account, a password change or a logout
 * takes effect on the very next request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to parse
      // it as a PEM public key on every request, which was half the CPU of GET one task.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      jsonWebTokenOptions: { complete: true },
    });
  }

  async validate(token: CompleteToken): Promise<AuthUser> {
    const { header, payload } = token;
    if (
      header?.typ !== ACCESS_TOKEN_TYPE ||
      !isUuid(payload?.sub) ||
      !isUuid(payload.sid) ||
      !Number.isSafeInteger(payload.ver)
    ) {
      throw unauthenticated();
    }
    const user = await this.users.findTokenHolder(payload.sub, payload.sid, payload.ver);
    if (!user) throw unauthenticated();
    return { id: user.id, role: user.role, credential: 'session', sessionId: payload.sid };
  }
}
