import type { Pool, QueryResult } from 'pg';
import PgBoss from 'pg-boss';
import { completeJobs, failJobsById } from 'pg-boss/src/plans';
import type { Sql } from '../database/sql';

/** The PostgreSQL schema pg-boss keeps its tables in. */
export const JOB_QUEUE_SCHEMA = 'pgboss';

/**
 * A job name is a pg-boss queue name: letters, digits, `_`, `-` and `.`, the rule pg-boss 12
 * enforces (10.4.2's own check only asks for one such character somewhere, and its message leaves
 * out the `.` that names like `trash.purge` need), at most 100 of them (ours, for log lines).
 * `__pgboss...` names are pg-boss's own queues.
 */
export function assertJobName(name: string): void {
  if (typeof name !== 'string' || !/^[\w.-]{1,100}$/.test(name) || name.startsWith('__pgboss')) {
    throw new Error(
      `Invalid job name ${JSON.stringify(name)}: use 1-100 letters, digits, "_", "-" or "." (not "__pgboss...")`,
    );
  }
}

/**
 * pg-boss's cron syntax, 5 fields (minute hour day-of-month month day-of-week), in UTC. Only the
 * field count is checked here, at definition; pg-boss's own parser checks the fields when the
 * schedule is registered.
 */
export function assertCron(name: string, cron: string): void {
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length !== 5) {
    throw new Error(
      `Invalid cron ${JSON.stringify(cron)} for job ${name}: 5 fields (minute hour day month weekday), e.g. "0 * * * *"`,
    );
  }
}

/**
 * A consumer's queue: jobs made by others (an SQL insert in a transaction, see migration
 * 1764300000000), each taken by one worker. A job whose worker died is retried when it expires.
 */
export const CONSUMER_QUEUE = {
  policy: 'standard',
  retryLimit: 5,
  retryDelay: 5,
  retryBackoff: true,
  expireInSeconds: 60,
} as const;

/**
 * The queues SQL functions insert jobs into (schedule_webhook_attempt): created with the schema,
 * since an insert into a queue that does not exist fails, and with it the write that made the job.
 */
export const SQL_FED_QUEUES = ['webhooks.deliver'] as const;

/**
 * pg-boss's `db` option on one of our pools, so that its queries count against the instance's
 * DATABASE_POOL_MAX and inherit its settings (statement timeout, TLS). pg-boss 10 can share a pool:
 * it uses no LISTEN/NOTIFY and no session state; its only locks are transaction-level advisory
 * locks taken inside one multi-statement query (`BEGIN; ...; COMMIT`) on one connection.
 *
 * Two things it gets wrong on a shared pool, handled here:
 * - A multi-statement query that fails after its `BEGIN` leaves its connection in an aborted
 *   transaction, and the next request to borrow it would fail ("current transaction is aborted"):
 *   such a connection is rolled back (or dropped) before it goes back to the pool.
 * - Its workers record a job's outcome (complete, fail) without awaiting the promise
 *   (timgit/pg-boss#577): during an outage that rejection would be unhandled and end the process.
 *   Those two statements never reject here; the job stays active, pg-boss's maintenance expires it
 *   and it is retried.
 */
export function jobQueueDb(pool: Pool, warn: (message: string) => void): PgBoss.Db {
  const outcomes = new Set([completeJobs(JOB_QUEUE_SCHEMA), failJobsById(JOB_QUEUE_SCHEMA)]);
  return {
    async executeSql(text: string, values?: unknown[]) {
      try {
        return await query(pool, text, values);
      } catch (error) {
        if (!outcomes.has(text)) throw error;
        const [name, ids] = values as [string, string[]];
        warn(
          `could not record the outcome of job ${name} ${ids.join(', ')} (${(error as Error).message}): it is retried once it expires`,
        );
        return { rows: [{ count: '0' }] };
      }
    },
  };
}

async function query(pool: Pool, text: string, values?: unknown[]): Promise<QueryResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await client.query(text, values);
  } catch (error) {
    if (/\bBEGIN\b/.test(text)) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Any fixed number: the advisory lock under which queues are created, one at a time. */
const QUEUE_LOCK = 727_413;
/** The queue pg-boss's cron moves due jobs through (its Timekeeper creates it at start). */
const CRON_QUEUE = '__pgboss__send-it';

/**
 * Creates a queue, or gives an existing one these options. pg-boss's create_queue() inserts the
 * queue's row and then adds a partition with foreign keys to the queue table: two of them at once
 * (two instances starting together, or several queues of one) deadlock. Here they take turns,
 * under an advisory lock held by the transaction that creates the queue.
 */
export async function createQueue(sql: Sql, queue: PgBoss.Queue): Promise<void> {
  await sql.transaction(async (tx) => {
    // Start-up DDL, not a request: DATABASE_STATEMENT_TIMEOUT (which may be 300 ms) would cut it
    // off on a loaded server and the app would fail to start (seen in CI). Lifted for this
    // transaction only, in one round trip; node-postgres's query_timeout backstop still holds.
    await tx.execute(
      `SELECT set_config('statement_timeout', '0', true),
              set_config('idle_in_transaction_session_timeout', '0', true)`,
    );
    await tx.execute('SELECT pg_advisory_xact_lock($1)', [QUEUE_LOCK]);
    const boss = new PgBoss({
      db: { executeSql: async (text, values) => ({ rows: await tx.rows(text, values) }) },
      schema: JOB_QUEUE_SCHEMA,
    });
    await boss.createQueue(queue.name, queue);
    await boss.updateQueue(queue.name, queue);
  });
}

/**
 * Installs pg-boss's schema, or upgrades it to the version this pg-boss needs (idempotent, and
 * safe when several instances do it at once: pg-boss takes an advisory lock), with the queue its
 * cron needs (created here, under the lock, so that pg-boss's own unguarded creation at start is a
 * no-op) and the queues SQL feeds (SQL_FED_QUEUES). Run with the migrations, on their connections without a statement timeout. Returns the
 * schema version.
 */
export async function migrateJobQueue(sql: Sql): Promise<number> {
  const boss = new PgBoss({
    db: jobQueueDb(sql.pool, () => undefined),
    schema: JOB_QUEUE_SCHEMA,
    migrate: true,
    supervise: false,
    schedule: false,
  });
  await boss.start();
  await boss.stop({ graceful: false });
  await createQueue(sql, { name: CRON_QUEUE });
  for (const name of SQL_FED_QUEUES) await createQueue(sql, { name, ...CONSUMER_QUEUE });
  return Number(await boss.schemaVersion());
}

/** Start-up found no job queue schema, or one of another version: one line says what to run. */
export class JobQueueSchemaError extends Error {}

/**
 * pg-boss's start-up error as the line to show: its two schema checks (missing, or another
 * version) become a JobQueueSchemaError saying what to run; anything else is returned as it is.
 */
export async function startFailure(boss: PgBoss, error: unknown): Promise<unknown> {
  const fix =
    'run `npm run migration:run` (the release step) before starting with MIGRATIONS_RUN=false, or start with MIGRATIONS_RUN=true';
  switch ((error as Error).message) {
    case 'pg-boss is not installed':
      return new JobQueueSchemaError(
        `The job queue is not installed in this database (no schema "${JOB_QUEUE_SCHEMA}"): ${fix}.`,
      );
    case 'pg-boss database requires migrations':
      return new JobQueueSchemaError(
        `The job queue schema "${JOB_QUEUE_SCHEMA}" is at version ${String(await boss.schemaVersion())}, not the one this build's pg-boss needs: ${fix}.`,
      );
    default:
      return error;
  }
}
