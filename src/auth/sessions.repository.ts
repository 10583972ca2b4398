import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../database/sql';
import type { ClientInfo } from './client-info';

/**
 * SQL condition on `refresh_tokens r` (grace seconds in `$2`): the token is unexpired and either
 * unused or first used within the grace. A grace of 0 is exactly "unused", with no comparison of
 * timestamps: `now()` is each transaction's start, so a call that started a moment earlier can
 * find a `used_at` later than its own `now()`.
 */
const SPENDABLE = `r.expires_at > now()
  AND (r.used_at IS NULL OR ($2::float8 > 0 AND r.used_at > now() - $2::float8 * interval '1 second'))`;

export interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  user_agent: string | null;
  ip: string | null;
}

/** The login a refresh token was spent on. */
export interface SpentToken {
  session_id: string;
  user_id: string;
}

/** Every query of `sessions` (logins) and `refresh_tokens`. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly sql: Sql) {}

  /** Starts a login; returns its id. */
  async create(db: SqlExecutor, userId: string, client: ClientInfo): Promise<string> {
    const row = await db.one<{ id: string }>(
      `INSERT INTO sessions (user_id, user_agent, ip) VALUES ($1, $2, $3) RETURNING id`,
      [userId, client.userAgent, client.ip],
    );
    return row!.id;
  }

  async addRefreshToken(
    db: SqlExecutor,
    sessionId: string,
    tokenHash: Buffer,
    expiresAt: Date,
  ): Promise<void> {
    await db.execute(
      `INSERT INTO refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)`,
      [sessionId, tokenHash, expiresAt],
    );
  }

  /**
   * Spends the token if `SPENDABLE` and its login and user are still good, in one conditional
   * UPDATE: the race arbiter (see SessionsService.refresh). The first use is kept (`COALESCE`),
   * so the grace always counts from it.
   */
  spend(db: SqlExecutor, tokenHash: Buffer, graceSeconds: number) {
    return db.one<SpentToken>(
      `UPDATE refresh_tokens r SET used_at = COALESCE(r.used_at, now())
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE r.token_hash = $1 AND ${SPENDABLE}
          AND s.id = r.session_id AND s.revoked_at IS NULL AND NOT u.banned
       RETURNING r.session_id, s.user_id`,
      [tokenHash, graceSeconds],
    );
  }

  async touch(db: SqlExecutor, sessionId: string): Promise<void> {
    await db.execute(`UPDATE sessions SET last_used_at = now() WHERE id = $1`, [sessionId]);
  }

  /** Ends the login of a token `spend` would accept; false when there is none. */
  async endByToken(tokenHash: Buffer, graceSeconds: number): Promise<boolean> {
    const ended = await this.sql.execute(
      `UPDATE sessions s SET revoked_at = now()
         FROM refresh_tokens r
        WHERE r.token_hash = $1 AND ${SPENDABLE}
          AND s.id = r.session_id AND s.revoked_at IS NULL`,
      [tokenHash, graceSeconds],
    );
    return ended > 0;
  }

  /** Ends the login of a spent token, whatever its age: reuse detection. */
  async endLoginIfReplayed(tokenHash: Buffer): Promise<void> {
    await this.sql.execute(
      `UPDATE sessions SET revoked_at = now()
        WHERE revoked_at IS NULL
          AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL)`,
      [tokenHash],
    );
  }

  /** The user's logins that can still be used: not revoked, with a live refresh token. */
  listLive(userId: string): Promise<SessionRow[]> {
    return this.sql.rows<SessionRow>(
      `SELECT s.id, s.created_at, s.last_used_at, s.user_agent, s.ip
         FROM sessions s
        WHERE s.user_id = $1 AND s.revoked_at IS NULL
          AND EXISTS (SELECT 1 FROM refresh_tokens r
                       WHERE r.session_id = s.id AND r.used_at IS NULL AND r.expires_at > now())
        ORDER BY s.last_used_at DESC, s.id`,
      [userId],
    );
  }

  /** Ends one of the user's own logins; false when it has none by that id still open. */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    const ended = await this.sql.execute(
      `UPDATE sessions SET revoked_at = now()
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [sessionId, userId],
    );
    return ended > 0;
  }

  /** Ends every login of the user but the one given (every one, when none is given). */
  async revokeOthers(
    db: SqlExecutor,
    userId: string,
    keepSessionId: string | undefined,
  ): Promise<void> {
    await db.execute(
      `UPDATE sessions SET revoked_at = now()
        WHERE user_id = $1 AND id IS DISTINCT FROM $2::uuid AND revoked_at IS NULL`,
      [userId, keepSessionId ?? null],
    );
  }
}
