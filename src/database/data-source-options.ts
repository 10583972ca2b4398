import { DataSourceOptions } from 'typeorm';
import { AuditEntry } from '../admin/audit-entry.entity';
import { RefreshToken, Session } from '../auth/session.entity';
import { Task } from '../tasks/task.entity';
import { User } from '../users/user.entity';
import { Init1763900000000 } from './migrations/1763900000000-Init';
import { AuditLog1763950000000 } from './migrations/1763950000000-AuditLog';
import { ThrottleCounters1764000000000 } from './migrations/1764000000000-ThrottleCounters';
import { TaskListsAndIdempotency1764000000500 } from './migrations/1764000000500-TaskListsAndIdempotency';

export const ENTITIES = [User, Session, RefreshToken, Task, AuditEntry];
/** Listed explicitly (not globbed) so the same list works from src/, dist/ and jest. */
export const MIGRATIONS = [
  Init1763900000000,
  AuditLog1763950000000,
  ThrottleCounters1764000000000,
  TaskListsAndIdempotency1764000000500,
];

export interface DatabaseSettings {
  url: string;
  poolMax: number;
}

/**
 * Options for a PostgreSQL URL: a bounded pool and a short connection timeout so an outage fails
 * fast instead of hanging. TLS follows the URL: node-postgres reads `sslmode` from it (Neon's
 * `sslmode=require` gets a verified TLS connection).
 */
export function dataSourceOptions({ url, poolMax }: DatabaseSettings): DataSourceOptions {
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
    extra: { max: poolMax, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 },
  };
}
