import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { SqlExecutor } from '../database/sql';
import { User } from '../users/user.entity';
import { toUserResponse } from '../users/dto/user.response';
import { ACCESS_TOKEN_TYPE, JWT_AUDIENCE, JWT_ISSUER } from './auth-user';
import type { ClientInfo } from './client-info';
import { SessionResponse } from './dto/auth.dto';
import { SessionsRepository } from './sessions.repository';

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest();

/** Issues the access/refresh pair of a login. */
@Injectable()
export class TokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly sessions: SessionsRepository,
  ) {}

  /** Starts a login (session) for the user and returns its first token pair. */
  async startSession(db: SqlExecutor, user: User, client: ClientInfo): Promise<SessionResponse> {
    return this.issuePair(db, user, await this.sessions.create(db, user.id, client));
  }

  async issuePair(db: SqlExecutor, user: User, sessionId: string): Promise<SessionResponse> {
    const refreshToken = randomBytes(32).toString('base64url');
    await this.sessions.addRefreshToken(
      db,
      sessionId,
      hashRefreshToken(refreshToken),
      new Date(Date.now() + this.config.jwtRefreshTtlSeconds * 1000),
    );
    return {
      user: toUserResponse(user),
      access_token: await this.signAccessToken(user, sessionId),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.config.jwtAccessTtlSeconds,
    };
  }

  private signAccessToken(
    user: Pick<User, 'id' | 'tokenVersion'>,
    sessionId: string,
  ): Promise<string> {
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
