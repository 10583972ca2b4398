import { createHash } from 'node:crypto';
import { HttpStatus, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProblemException, validationFailed } from './problem';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const KEY_FORMAT = /^[\x21-\x7E]{1,255}$/;
const PURGE_EVERY_MS = 60 * 60 * 1000;

/** An Idempotency-Key header: 1-255 visible ASCII characters (a UUID fits), else a 400. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
    throw validationFailed([
      {
        field: 'Idempotency-Key',
        message:
          'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is ideal), sent once',
      },
    ]);
  }
  return header;
}

/** The same JSON body, whatever its key order or spacing, hashes the same. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Idempotency-Key: the first request with a key runs, and its response is stored with the key in
 * the same transaction as what it wrote, so either both exist or neither does. A concurrent
 * request with the same key waits on the key row (the INSERT ... ON CONFLICT blocks until the
 * first commits or rolls back) and then replays the stored response: exactly one write happens.
 * Keys are per user and kept 24 hours; an expired key is reused as if new.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit, OnModuleDestroy {
  static readonly RETENTION = '24 hours';
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  async once(
    userId: string,
    key: string,
    hash: string,
    handler: (manager: EntityManager) => Promise<StoredResponse>,
  ): Promise<StoredResponse & { replayed: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const claimed: unknown[] = await manager.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, created_at = now(),
                response_status = NULL, response_headers = NULL, response_body = NULL
          WHERE idempotency_keys.created_at < now() - interval '${IdempotencyStore.RETENTION}'
         RETURNING 1`,
        [userId, key, hash],
      );
      if (claimed.length > 0) {
        const response = await handler(manager);
        await manager.query(
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
        return { ...response, replayed: false };
      }
      const [stored] = (await manager.query(
        `SELECT request_hash, response_status, response_headers, response_body
           FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
        [userId, key],
      )) as {
        request_hash: string;
        response_status: number | null;
        response_headers: Record<string, string> | null;
        response_body: unknown;
      }[];
      if (stored && stored.request_hash !== hash) {
        throw new ProblemException(
          HttpStatus.UNPROCESSABLE_ENTITY,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request body: use a new key for a new request.',
        );
      }
      if (!stored || stored.response_status === null) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          'A request with this Idempotency-Key is still being processed: retry shortly.',
          { headers: { 'retry-after': '1' } },
        );
      }
      return {
        status: stored.response_status,
        headers: stored.response_headers ?? {},
        body: stored.response_body,
        replayed: true,
      };
    });
  }

  /** Deletes keys older than the retention period; returns how many. */
  async purgeExpired(): Promise<number> {
    const [{ deleted }] = (await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM idempotency_keys
          WHERE created_at < now() - interval '${IdempotencyStore.RETENTION}' RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
    )) as { deleted: number }[];
    return deleted;
  }

  onModuleInit() {
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.warn(`purging expired idempotency keys failed: ${error.message}`),
      );
    }, PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.purgeTimer);
  }
}
