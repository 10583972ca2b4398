import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../../database/sql';
import type { Role } from '../../users/user.entity';
import type { ApiScope } from './token-access';

export interface ApiTokenRecord {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** Who a valid API token speaks for, and what it may do. */
export interface ApiTokenHolder {
  token_id: string;
  user_id: string;
  role: Role;
  scopes: ApiScope[];
}

const COLUMNS = 'id, name, scopes, created_at, expires_at, last_used_at';

const recordFromRow = (row: Record<string, unknown>): ApiTokenRecord => ({
  id: row.id as string,
  name: row.name as string,
  scopes: row.scopes as ApiScope[],
  createdAt: row.created_at as Date,
  expiresAt: row.expires_at as Date | null,
  lastUsedAt: row.last_used_at as Date | null,
});

/** Every query of `api_tokens`; the owner's are filtered by the owner. */
@Injectable()
export class ApiTokensRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The per-request check behind every API token, one statement: the token by its hash, unexpired,
   * joined to its user, who must exist (deleting the user cascades to its tokens) and not be
   * banned. The same statement keeps `last_used_at` to the minute: it writes only when the column
   * is a minute old or more, so a script's burst of calls costs one write a minute, not one each
   * (a no-op UPDATE locks nothing and writes nothing). Two calls at once past the minute both try;
   * the second waits for the first's row lock, sees the fresh value and writes nothing. Done in
   * the database rather than with an in-memory mark so it holds across instances and restarts.
   */
  async findHolder(tokenHash: Buffer): Promise<ApiTokenHolder | undefined> {
    return this.sql.one<ApiTokenHolder>(
      `WITH holder AS (
         SELECT t.id AS token_id, t.user_id, u.role, t.scopes
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1 AND NOT u.banned
            AND (t.expires_at IS NULL OR t.expires_at > now())),
       used AS (
         UPDATE api_tokens t SET last_used_at = now()
           FROM holder h
          WHERE t.id = h.token_id
            AND (t.last_used_at IS NULL OR t.last_used_at <= now() - interval '1 minute'))
       SELECT token_id, user_id, role, scopes FROM holder`,
      [tokenHash],
    );
  }

  async insert(
    db: SqlExecutor,
    ownerId: string,
    token: { name: string; scopes: ApiScope[]; tokenHash: Buffer; expiresInDays: number | null },
  ): Promise<ApiTokenRecord> {
    const row = await db.one<Record<string, unknown>>(
      `INSERT INTO api_tokens (user_id, name, scopes, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))
       RETURNING ${COLUMNS}`,
      [ownerId, token.name, token.scopes, token.tokenHash, token.expiresInDays],
    );
    return recordFromRow(row!);
  }

  /** The owner's tokens, newest first (at most MAX_API_TOKENS: one answer, no paging). */
  async list(ownerId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.sql.rows<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`,
      [ownerId],
    );
    return rows.map(recordFromRow);
  }

  async delete(ownerId: string, id: string): Promise<boolean> {
    return (
      (await this.sql.execute(`DELETE FROM api_tokens WHERE id = $1 AND user_id = $2`, [
        id,
        ownerId,
      ])) > 0
    );
  }
}
