import { DataSourceOptions } from 'typeorm';
import { AuditEntry } from '../admin/audit-entry.entity';
import { RefreshToken, Session } from '../auth/session.entity';
import { List } from '../lists/list.entity';
import { Task } from '../tasks/task.entity';
import { User } from '../users/user.entity';
import { Init1763900000000 } from './migrations/1763900000000-Init';
import { AuditLog1763950000000 } from './migrations/1763950000000-AuditLog';
import { ThrottleCounters1764000000000 } from './migrations/1764000000000-ThrottleCounters';
import { TaskListsAndIdempotency1764000000500 } from './migrations/1764000000500-TaskListsAndIdempotency';
import { ListsSubtasksRecurrence1764100000000 } from './migrations/1764100000000-ListsSubtasksRecurrence';
import { TrashAndChangeLog1764200000000 } from './migrations/1764200000000-TrashAndChangeLog';
import { Webhooks1764300000000 } from './migrations/1764300000000-Webhooks';
import { ApiTokens1764400000000 } from './migrations/1764400000000-ApiTokens';
import { ExternalIdentities1764500000000 } from './migrations/1764500000000-ExternalIdentities';
import { AdminAtScale1764600000000 } from './migrations/1764600000000-AdminAtScale';
import { WebhookOutbox1764700000000 } from './migrations/1764700000000-WebhookOutbox';
import { CheaperWebhookEvents1764800000000 } from './migrations/1764800000000-CheaperWebhookEvents';
import { InlinableApiTime1764900000000 } from './migrations/1764900000000-InlinableApiTime';
import { EventLookupAfterAnEvent1765000000000 } from './migrations/1765000000000-EventLookupAfterAnEvent';

export const ENTITIES = [User, Session, RefreshToken, List, Task, AuditEntry];
/** Listed explicitly (not globbed) so the same list works from src/, dist/ and jest. */
export const MIGRATIONS = [
  Init1763900000000,
  AuditLog1763950000000,
  ThrottleCounters1764000000000,
  TaskListsAndIdempotency1764000000500,
  ListsSubtasksRecurrence1764100000000,
  TrashAndChangeLog1764200000000,
  Webhooks1764300000000,
  ApiTokens1764400000000,
  ExternalIdentities1764500000000,
  AdminAtScale1764600000000,
  WebhookOutbox1764700000000,
  CheaperWebhookEvents1764800000000,
  InlinableApiTime1764900000000,
  EventLookupAfterAnEvent1765000000000,
];

export interface DatabaseSettings {
  url: string;
  poolMax: number;
  /**
   * The longest one statement may run, and a transaction sit idle (DATABASE_STATEMENT_TIMEOUT).
   * Unset for the tools that may legitimately run long: migrations, the CLI, the seed.
   */
  statementTimeoutMs?: number;
}

/**
 * Options for a PostgreSQL URL: a bounded pool and a short connection timeout so an outage fails
 * fast instead of hanging. TLS follows the URL: node-postgres reads `sslmode` from it (Neon's
 * `sslmode=require` gets a verified TLS connection).
 */
export function dataSourceOptions({
  url,
  poolMax,
  statementTimeoutMs,
}: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    poolSize: poolMax,
    connectTimeoutMS: 5_000,
    extra: {
      max: poolMax,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      ...(statementTimeoutMs ? statementBounds(url, statementTimeoutMs) : {}),
    },
  };
}

/** How much longer than the server's bound the client waits before it gives up by itself. */
const CLIENT_BACKSTOP_MS = 2_000;

/**
 * The bound on every pooled connection. On a direct connection the server enforces it: the
 * timeouts travel as startup parameters, so they hold from the first statement without a `SET`
 * round trip. A transaction-mode pooler (Neon's `-pooler` host, PgBouncer: say `pgbouncer=true`
 * in the URL) hands each transaction a different server connection, so a `SET` would not stick,
 * and PgBouncer refuses unknown startup parameters: there the role's own setting bounds the
 * server side (`ALTER ROLE ... SET statement_timeout`, see the README), and node-postgres's
 * query_timeout, a little longer, is the client-side backstop everywhere.
 */
export function statementBounds(url: string, timeoutMs: number): Record<string, number> {
  const backstop = { query_timeout: timeoutMs + CLIENT_BACKSTOP_MS };
  if (behindTransactionPooler(url)) return backstop;
  return {
    ...backstop,
    statement_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs,
  };
}

export function behindTransactionPooler(url: string): boolean {
  try {
    const parsed = new URL(url);
    return /-pooler\./.test(parsed.hostname) || parsed.searchParams.get('pgbouncer') === 'true';
  } catch {
    return false;
  }
}
