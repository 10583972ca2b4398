import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../database/sql';

/** How long a key is kept; an expired key is reused as if new. */
const RETENTION = `interval '24 hours'`;

/** The response stored with a key: null until the first request commits. */
export interface StoredKey {
  request_hash: string;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: unknown;
}

/** The idempotency_keys table: one row per (user, key). */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Claims the key for this request: true when it is new (or expired). A concurrent claim of the
   * same key waits here, on the row, until the first transaction commits or rolls back.
   */
  async claim(tx: SqlExecutor, userId: string, key: string, hash: string): Promise<boolean> {
    const claimed = await tx.execute(
      `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, created_at = now(),
              response_status = NULL, response_headers = NULL, response_body = NULL
        WHERE idempotency_keys.created_at < now() - ${RETENTION}`,
      [userId, key, hash],
    );
    return claimed > 0;
  }

  async saveResponse(
    tx: SqlExecutor,
    userId: string,
    key: string,
    response: { status: number; headers: Record<string, string>; body: unknown },
  ): Promise<void> {
    await tx.execute(
      `UPDATE idempotency_keys
          SET response_status = $3, response_headers = $4::jsonb, response_body = $5::json
        WHERE user_id = $1 AND key = $2`,
      [
        userId,
        key,
        response.status,
        JSON.stringify(response.headers),
        JSON.stringify(response.body),
      ],
    );
  }

  find(tx: SqlExecutor, userId: string, key: string): Promise<StoredKey | undefined> {
    return tx.one<StoredKey>(
      `SELECT request_hash, response_status, response_headers, response_body
         FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [userId, key],
    );
  }

  /** Deletes keys older than the retention period; returns how many. */
  deleteExpired(): Promise<number> {
    return this.sql.execute(`DELETE FROM idempotency_keys WHERE created_at < now() - ${RETENTION}`);
  }
}
