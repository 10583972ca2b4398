import { Inject, Injectable } from '@nestjs/common';
import { notFound, unauthenticated } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Sql } from '../database/sql';
import { UsersRepository } from '../users/users.repository';
import { SessionResponse } from './dto/auth.dto';
import { SessionInfo } from './dto/session.dto';
import { SessionRow, SessionsRepository } from './sessions.repository';
import { hashRefreshToken, TokensService } from './tokens.service';

const invalidRefreshToken = () =>
  unauthenticated('The refresh token is invalid, expired, already used or revoked.');

const toSessionInfo = (row: SessionRow, currentSessionId: string | undefined): SessionInfo => ({
  id: row.id,
  created_at: row.created_at.toISOString(),
  last_used_at: row.last_used_at.toISOString(),
  user_agent: row.user_agent,
  ip: row.ip,
  current: row.id === currentSessionId,
});

/** Logins (sessions) and the rotation of their refresh tokens. */
@Injectable()
export class SessionsService {
  private readonly graceSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sql: Sql,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly tokens: TokensService,
  ) {
    this.graceSeconds = config.jwtRefreshReuseGraceSeconds;
  }

  /**
   * Spends the refresh token and issues the next pair of its login. The single conditional
   * UPDATE (`SessionsRepository.spend`) is the race arbiter: its row lock queues concurrent calls
   * with one token, and each re-checks the row as the one before it committed it. The first finds
   * it unused; the rest are let through only while `used_at` (the first use) is within the grace,
   * so tabs refreshing together each get a pair of their own on the same login. The window counts
   * from the first use and a reuse never moves it, or presenting the token again and again would
   * keep it alive for ever. Presented after the window, it is a replay, which ends the login.
   * The session and user checks sit in the same UPDATE, so a revoked login (logout, password
   * change, session delete, ban) is never revived by the grace.
   */
  async refresh(refreshToken: string): Promise<SessionResponse> {
    const tokenHash = hashRefreshToken(refreshToken);
    const pair = await this.sql.transaction(async (tx) => {
      const spent = await this.sessions.spend(tx, tokenHash, this.graceSeconds);
      if (!spent) return undefined;
      await this.sessions.touch(tx, spent.session_id);
      const user = await this.users.findById(spent.user_id, tx);
      return this.tokens.issuePair(tx, user!, spent.session_id);
    });
    if (!pair) {
      await this.sessions.endLoginIfReplayed(tokenHash);
      throw invalidRefreshToken();
    }
    return pair;
  }

  /**
   * Ends the login the refresh token belongs to. Whatever token `refresh` would accept ends it,
   * one within its grace included: the other tab of a just-rotated login still holds the old
   * token, and its logout must end the login rather than be told the token is invalid (logging
   * out only ever takes rights away). A spent token past its grace is a replay: 401, and the
   * login ends all the same.
   */
  async logout(refreshToken: string): Promise<void> {
    const tokenHash = hashRefreshToken(refreshToken);
    if (!(await this.sessions.endByToken(tokenHash, this.graceSeconds))) {
      await this.sessions.endLoginIfReplayed(tokenHash);
      throw invalidRefreshToken();
    }
  }

  /**
   * The user's logins that can still be used: not revoked, with a live refresh token; the
   * caller's own (if it called with an access token of a login) marked `current`.
   */
  async list(userId: string, currentSessionId: string | undefined): Promise<SessionInfo[]> {
    const rows = await this.sessions.listLive(userId);
    return rows.map((row) => toSessionInfo(row, currentSessionId));
  }

  /** Ends one of the user's own logins; anyone else's is a 404, exactly like a missing one. */
  async revoke(userId: string, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(userId, sessionId)))
      throw notFound('SESSION_NOT_FOUND', 'No such session.');
  }
}
