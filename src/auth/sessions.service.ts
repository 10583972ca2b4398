import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { notFound, unauthenticated } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { User } from '../users/user.entity';
import { SessionResponse } from './dto/auth.dto';
import { SessionInfo } from './dto/session.dto';
import { hashRefreshToken, TokensService } from './tokens.service';

const invalidRefreshToken = () =>
  unauthenticated('The refresh token is invalid, expired, already used or revoked.');

/**
 * SQL condition on `refresh_tokens r` (grace seconds in `$2`): the token is unexpired and either
 * unused or first used within the grace. A grace of 0 is exactly "unused", with no comparison of
 * timestamps: `now()` is each transaction's start, so a call that started a moment earlier can
 * find a `used_at` later than its own `now()`.
 */
const SPENDABLE = `r.expires_at > now()
  AND (r.used_at IS NULL OR ($2::float8 > 0 AND r.used_at > now() - $2::float8 * interval '1 second'))`;

interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  user_agent: string | null;
  ip: string | null;
}

/** Logins (sessions) and the rotation of their refresh tokens. */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokens: TokensService,
  ) {}

  /**
   * Spends the refresh token and issues the next pair of its login. The single conditional
   * UPDATE is the race arbiter: its row lock queues concurrent calls with one token, and each
   * re-checks the row as the one before it committed it. The first finds it unused; the rest are
   * let through only while `used_at` (the first use) is within the grace, so tabs refreshing
   * together each get a pair of their own on the same login. The window counts from the first
   * use and a reuse never moves it (`COALESCE`), or presenting the token again and again would
   * keep it alive for ever. Presented after the window, it is a replay, which ends the login.
   * The session and user checks sit in the same UPDATE, so a revoked login (logout, password
   * change, session delete, ban) is never revived by the grace.
   */
  async refresh(refreshToken: string): Promise<SessionResponse> {
    const tokenHash = hashRefreshToken(refreshToken);
    const pair = await this.dataSource.transaction(async (db) => {
      const [spent] = await db.query<{ session_id: string; user_id: string }[]>(
        `WITH spent AS (
           UPDATE refresh_tokens r SET used_at = COALESCE(r.used_at, now())
             FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE r.token_hash = $1 AND ${SPENDABLE}
              AND s.id = r.session_id AND s.revoked_at IS NULL AND NOT u.banned
           RETURNING r.session_id, s.user_id)
         SELECT session_id, user_id FROM spent`,
        [tokenHash, this.config.jwtRefreshReuseGraceSeconds],
      );
      if (!spent) return null;
      await db.query(`UPDATE sessions SET last_used_at = now() WHERE id = $1`, [spent.session_id]);
      const user = await db.findOneByOrFail(User, { id: spent.user_id });
      return this.tokens.issuePair(db, user, spent.session_id);
    });
    if (!pair) {
      await this.endLoginIfReplayed(tokenHash);
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
    const ended = await this.dataSource.query<{ id: string }[]>(
      `WITH ended AS (
         UPDATE sessions s SET revoked_at = now()
           FROM refresh_tokens r
          WHERE r.token_hash = $1 AND ${SPENDABLE}
            AND s.id = r.session_id AND s.revoked_at IS NULL
         RETURNING s.id)
       SELECT id FROM ended`,
      [tokenHash, this.config.jwtRefreshReuseGraceSeconds],
    );
    if (ended.length === 0) {
      await this.endLoginIfReplayed(tokenHash);
      throw invalidRefreshToken();
    }
  }

  /** The user's logins that can still be used: not revoked, with a live refresh token. */
  async list(userId: string, currentSessionId: string): Promise<SessionInfo[]> {
    const rows = await this.dataSource.query<SessionRow[]>(
      `SELECT s.id, s.created_at, s.last_used_at, s.user_agent, s.ip
         FROM sessions s
        WHERE s.user_id = $1 AND s.revoked_at IS NULL
          AND EXISTS (SELECT 1 FROM refresh_tokens r
                       WHERE r.session_id = s.id AND r.used_at IS NULL AND r.expires_at > now())
        ORDER BY s.last_used_at DESC, s.id`,
      [userId],
    );
    return rows.map((row) => ({
      id: row.id,
      created_at: row.created_at.toISOString(),
      last_used_at: row.last_used_at.toISOString(),
      user_agent: row.user_agent,
      ip: row.ip,
      current: row.id === currentSessionId,
    }));
  }

  /** Ends one of the user's own logins; anyone else's is a 404, exactly like a missing one. */
  async revoke(userId: string, sessionId: string): Promise<void> {
    const ended = await this.dataSource.query<{ id: string }[]>(
      `WITH ended AS (
         UPDATE sessions SET revoked_at = now()
          WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
         RETURNING id)
       SELECT id FROM ended`,
      [sessionId, userId],
    );
    if (ended.length === 0) throw notFound('SESSION_NOT_FOUND', 'No such session.');
  }

  /** Ends every login of the user but the one given (a password change). */
  revokeOthers(db: EntityManager, userId: string, keepSessionId: string): Promise<unknown> {
    return db.query(
      `UPDATE sessions SET revoked_at = now()
        WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`,
      [userId, keepSessionId],
    );
  }

  /**
   * Reuse detection: a spent refresh token that was refused (past its grace, expired, its user
   * banned) ends its whole login, which every token descended from it belongs to.
   */
  private async endLoginIfReplayed(tokenHash: Buffer): Promise<void> {
    await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now()
        WHERE revoked_at IS NULL
          AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL)`,
      [tokenHash],
    );
  }
}
