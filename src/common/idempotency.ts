import { createHash } from 'node:crypto';
import {
  createParamDecorator,
  ExecutionContext,
  HttpStatus,
  Injectable,
  OnModuleInit,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Sql, type SqlExecutor } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { IdempotencyRepository } from './idempotency.repository';
import { ProblemException, validationFailed } from './problem';
import { WithHeaders } from './response';

const KEY_FORMAT = /^[\x21-\x7E]{1,255}$/;

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

/** A response that can be stored and replayed: its status is its own, not left to the route. */
export type ReplayableResponse<T> = WithHeaders<T> & { readonly status: number };

/**
 * The body as the client sent it, before the DTO's transforms: what tells a retry (the same
 * JSON, whatever its key order or spacing) from a different request under the same key.
 */
export const SentBody = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<FastifyRequest>().body,
);

/**
 * Idempotency-Key: the first request with a key runs, and its response is stored with the key in
 * the same transaction as what it wrote, so either both exist or neither does. A concurrent
 * request with the same key waits on the key row (the INSERT ... ON CONFLICT blocks until the
 * first commits or rolls back) and then replays the stored response: exactly one write happens.
 * Keys are per user and kept 24 hours; an expired key is reused as if new, and the hourly job
 * `idempotency-keys.purge` deletes it.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly keys: IdempotencyRepository,
    private readonly jobs: JobsService,
  ) {}

  /** Runs `handler` in the key's transaction, or replays what it answered the first time. */
  once<T>(
    userId: string,
    key: string,
    hash: string,
    handler: (tx: SqlExecutor) => Promise<ReplayableResponse<T>>,
  ): Promise<WithHeaders<T>> {
    return this.sql.transaction(async (tx) => {
      if (await this.keys.claim(tx, userId, key, hash)) {
        const response = await handler(tx);
        await this.keys.saveResponse(tx, userId, key, response);
        return response;
      }
      const stored = await this.keys.find(tx, userId, key);
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
      return new WithHeaders(
        stored.response_body as T,
        { ...stored.response_headers, 'idempotent-replayed': 'true' },
        stored.response_status,
      );
    });
  }

  /** Deletes keys older than the retention period; returns how many. */
  purgeExpired(): Promise<number> {
    return this.keys.deleteExpired();
  }

  onModuleInit() {
    this.jobs.define('idempotency-keys.purge', '0 * * * *', () => this.purgeExpired());
  }
}
