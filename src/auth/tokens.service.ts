import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { User } from '../users/user.entity';
import { toUserResponse } from '../users/dto/user.response';
import { ACCESS_TOKEN_TYPE, JWT_AUDIENCE, JWT_ISSUER } from './auth-user';
import { SessionResponse } from './dto/auth.dto';
import { RefreshToken, Session } from './session.entity';

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest();

/** Issues the access/refresh pair of a login. */
@Injectable()
export class TokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
  ) {}

  /** Starts a login (session) for the user and returns its first token pair. */
  async startSession(db: EntityManager, user: User, client: ClientInfo): Promise<SessionResponse> {
    const session = await db.save(
      db.create(Session, { userId: user.id, userAgent: client.userAgent, ip: client.ip }),
    );
    return this.issuePair(db, user, session.id);
  }

  async issuePair(db: EntityManager, user: User, sessionId: string): Promise<SessionResponse> {
    const refreshToken = randomBytes(32).toString('base64url');
    await db.insert(RefreshToken, {
      sessionId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt: new Date(Date.now() + this.config.jwtRefreshTtlSeconds * 1000),
    });
    return {
      user: toUserResponse(user),
      access_token: await this.signAccessToken(user, sessionId),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.config.jwtAccessTtlSeconds,
    };
  }

  signAccessToken(user: Pick<User, 'id' | 'tokenVersion'>, sessionId: string): Promise<string> {
    return this.jwt.signAsync(
      { sid: sessionId, ver: user.tokenVersion },
      {
        subject: user.id,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        expiresIn: this.config.jwtAccessTtlSeconds,
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE },
      },
    );
  }
}
