import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool } from 'pg';
import { completeJobs } from 'pg-boss/src/plans';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runMigrations } from '../src/database/migrate';
import { JOB_QUEUE_SCHEMA, JobQueueSchemaError, jobQueueDb } from '../src/jobs/job-queue';
import { JobsService, STOP_GRACE_MS } from '../src/jobs/jobs.service';
import { registerUser } from './support/builders';
import { ensureBuilt, failedStartLines } from './support/server-process';
import { TEST_JWT_SECRET, type TestApp, useSharedDatabase, useTestApp } from './support/test-app';

jest.setTimeout(60_000);

/** How often an idle worker polls (jobs.service.ts), plus a margin. */
const POLL_MS = 5_500;

const jobsOf = (t: TestApp) => t.app.get(JobsService);

/** A table where the test jobs record each run: which instance, when it started and ended. */
async function createRunsTable(t: TestApp) {
  await t.sql(`CREATE TABLE job_runs (
    job text NOT NULL, instance text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz)`);
}

/** A run of `job` on `instance` that takes `ms` (a timer, no connection held meanwhile). */
function recordingRun(t: TestApp, job: string, instance: string, ms = 0) {
  return async () => {
    const [{ id }] = await t.sql<{ id: string }>(
      'INSERT INTO job_runs (job, instance) VALUES ($1, $2) RETURNING ctid::text AS id',
      [job, instance],
    );
    await new Promise((resolve) => setTimeout(resolve, ms));
    await t.sql('UPDATE job_runs SET finished_at = clock_timestamp() WHERE ctid = $1::tid', [id]);
  };
}

const runsOf = (t: TestApp, job: string) =>
  t.sql<{ instance: string; started_at: Date; finished_at: Date | null }>(
    'SELECT instance, started_at, finished_at FROM job_runs WHERE job = $1 ORDER BY started_at',
    [job],
  );

const jobRows = (t: TestApp, job: string) =>
  t.sql<{ id: string; state: string }>(
    `SELECT id, state::text FROM ${JOB_QUEUE_SCHEMA}.job WHERE name = $1 ORDER BY created_on`,
    [job],
  );

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Background jobs on one instance', () => {
  const t = useTestApp();
  beforeAll(() => createRunsTable(t));

  it('a defined job runs through runNow: queued, taken by a worker, completed, once per call', async () => {
    jobsOf(t).define('test.count', '0 3 * * *', recordingRun(t, 'test.count', 'a'));
    await jobsOf(t).runNow('test.count');
    expect(await runsOf(t, 'test.count')).toHaveLength(1);
    await jobsOf(t).runNow('test.count');
    expect(await runsOf(t, 'test.count')).toHaveLength(2);
    expect((await jobRows(t, 'test.count')).map((job) => job.state)).toEqual([
      'completed',
      'completed',
    ]);
    const schedules = await t.sql(
      `SELECT name, cron, timezone FROM ${JOB_QUEUE_SCHEMA}.schedule ORDER BY name`,
    );
    expect(schedules).toEqual([
      { name: 'changes.purge', cron: '5 * * * *', timezone: 'UTC' },
      { name: 'idempotency-keys.purge', cron: '0 * * * *', timezone: 'UTC' },
      { name: 'stats.fold', cron: '7 * * * *', timezone: 'UTC' },
      { name: 'test.count', cron: '0 3 * * *', timezone: 'UTC' },
      { name: 'trash.purge', cron: '*/10 * * * *', timezone: 'UTC' },
      { name: 'webhook-deliveries.purge', cron: '15 * * * *', timezone: 'UTC' },
    ]);
  });

  it('runNow rejects with the error of a failed run', async () => {
    jobsOf(t).define('test.fails', '0 3 * * *', () => Promise.reject(new Error('disk on fire')));
    await expect(jobsOf(t).runNow('test.fails')).rejects.toThrow(/disk on fire/);
  });

  it('refuses bad names, bad crons, a second definition and unknown jobs', async () => {
    const jobs = jobsOf(t);
    const run = async () => undefined;
    for (const name of [
      '',
      'has space',
      'semi;colon',
      'a/b',
      '__pgboss__send-it',
      'x'.repeat(101),
    ]) {
      expect(() => jobs.define(name, '0 * * * *', run)).toThrow(/Invalid job name/);
    }
    for (const cron of ['', '0 * * *', '0 0 * * * *', 'hourly']) {
      expect(() => jobs.define('test.cron', cron, run)).toThrow(/Invalid cron/);
    }
    expect(() => jobs.define('idempotency-keys.purge', '0 * * * *', run)).toThrow(/twice/);
    await expect(jobs.runNow('test.never-defined')).rejects.toThrow(/No job named/);
  });

  it('idempotency-keys.purge deletes the expired keys and keeps the others', async () => {
    const user = await registerUser(t);
    for (const key of ['expired', 'fresh']) {
      await t
        .http()
        .post('/api/me/tasks')
        .set(user.auth)
        .set('Idempotency-Key', key)
        .send({ title: key })
        .expect(201);
    }
    await t.sql(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1 AND key = 'expired'`,
      [user.id],
    );
    await jobsOf(t).runNow('idempotency-keys.purge');
    const keys = await t.sql<{ key: string }>(
      'SELECT key FROM idempotency_keys WHERE user_id = $1',
      [user.id],
    );
    expect(keys.map((row) => row.key)).toEqual(['fresh']);
  });

  describe("pg-boss's queries on the app's pool", () => {
    let pool: Pool;
    beforeAll(() => {
      pool = new Pool({ connectionString: t.databaseUrl, max: 1 });
    });
    afterAll(() => pool.end());

    it('a transaction of its that fails leaves no aborted connection for the next request', async () => {
      const db = jobQueueDb(pool, () => undefined);
      await expect(db.executeSql('BEGIN; SELECT 1; SELECT 1/0; COMMIT;', [])).rejects.toThrow(
        /division by zero/,
      );
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });

    it('recording an outcome never rejects (pg-boss does not await it): it warns instead', async () => {
      const closed = new Pool({ connectionString: t.databaseUrl, max: 1 });
      await closed.end();
      const warnings: string[] = [];
      const db = jobQueueDb(closed, (message) => warnings.push(message));
      const text = completeJobs(JOB_QUEUE_SCHEMA);
      await expect(
        db.executeSql(text, ['test.count', ['00000000-0000-0000-0000-000000000000'], null]),
      ).resolves.toEqual({ rows: [{ count: '0' }] });
      expect(warnings).toEqual([
        expect.stringMatching(/could not record the outcome of job test\.count/),
      ]);
      await expect(db.executeSql('SELECT 1', [])).rejects.toThrow();
    });
  });
});

describe('Background jobs on two instances sharing one database', () => {
  const database = useSharedDatabase();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // Started together on an empty database: both install the job queue's schema at once.
    [a, b] = await Promise.all([database.start(), database.start()]);
    await createRunsTable(a);
  });

  it('each job sent runs exactly once, on one of them', async () => {
    for (const [t, instance] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      jobsOf(t).define('test.once', '0 3 * * *', recordingRun(t, 'test.once', instance));
    }
    for (const t of [a, b, a, b]) await jobsOf(t).runNow('test.once');
    // Long enough for the other instance's worker to poll: it finds nothing left to run.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    expect(await runsOf(a, 'test.once')).toHaveLength(4);
    const jobs = await jobRows(a, 'test.once');
    expect(jobs.map((job) => job.state)).toEqual(Array(4).fill('completed'));
    const [{ schedules }] = await a.sql<{ schedules: number }>(
      `SELECT count(*)::int AS schedules FROM ${JOB_QUEUE_SCHEMA}.schedule WHERE name = 'test.once'`,
    );
    expect(schedules).toBe(1);
  });

  it('a long run is never overlapped by another run of the same job, from either instance', async () => {
    for (const [t, instance] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      jobsOf(t).define('test.slow', '0 3 * * *', recordingRun(t, 'test.slow', instance, 1_500));
    }
    const first = jobsOf(a).runNow('test.slow');
    await until(async () => (await runsOf(a, 'test.slow')).length === 1, 'the first run');
    // While it runs: one more from B is queued behind it, and A's next call joins that one.
    const second = jobsOf(b).runNow('test.slow');
    await until(async () => (await jobRows(a, 'test.slow')).length === 2, 'the second job');
    const joined = jobsOf(a).runNow('test.slow');
    await Promise.all([first, second, joined]);
    const runs = await runsOf(a, 'test.slow');
    expect(runs).toHaveLength(2);
    expect(runs[1].started_at.getTime()).toBeGreaterThanOrEqual(runs[0].finished_at!.getTime());
    expect(await jobRows(a, 'test.slow')).toHaveLength(2);
  });
});

describe('Background jobs at shutdown', () => {
  const database = useSharedDatabase();
  let b: TestApp;
  beforeAll(async () => {
    b = await database.start();
    await createRunsTable(b);
  });

  it('closing waits for a job in flight that finishes within the grace period', async () => {
    const a = await database.start();
    jobsOf(a).define('test.finishing', '0 3 * * *', recordingRun(a, 'test.finishing', 'a', 1_000));
    const run = jobsOf(a)
      .runNow('test.finishing')
      .catch(() => undefined);
    await until(async () => (await runsOf(b, 'test.finishing')).length === 1, 'the run to start');
    const closing = Date.now();
    await a.close();
    expect(Date.now() - closing).toBeLessThan(STOP_GRACE_MS);
    await run;
    const [only] = await runsOf(b, 'test.finishing');
    expect(only.finished_at).not.toBeNull();
    expect((await jobRows(b, 'test.finishing')).map((job) => job.state)).toEqual(['completed']);
  });

  it('a job still running at the grace bound does not hold shutdown up: it is left to another instance', async () => {
    const a = await database.start();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    jobsOf(a).define('test.stuck', '0 3 * * *', async () => {
      started = true;
      await stuck;
    });
    const run = jobsOf(a)
      .runNow('test.stuck')
      .catch((error: Error) => error);
    await until(async () => started, 'the run to start');
    const closing = Date.now();
    await a.close();
    const took = Date.now() - closing;
    expect(took).toBeGreaterThanOrEqual(STOP_GRACE_MS - 500);
    expect(took).toBeLessThan(STOP_GRACE_MS + 2_000);
    expect(await run).toBeInstanceOf(Error);
    const [job] = await jobRows(b, 'test.stuck');
    expect(job.state).toBe('retry');

    // Another instance runs it once its retry delay has passed (skipped here).
    await b.sql(`UPDATE ${JOB_QUEUE_SCHEMA}.job SET start_after = now() WHERE id = $1`, [job.id]);
    jobsOf(b).define('test.stuck', '0 3 * * *', recordingRun(b, 'test.stuck', 'b'));
    await until(async () => (await runsOf(b, 'test.stuck')).length === 1, 'B to run it');
    await until(
      async () => (await jobRows(b, 'test.stuck'))[0].state === 'completed',
      'the job to complete',
    );
    release();
  });
});

describe('Start-up without the job queue schema', () => {
  const database = useSharedDatabase();
  beforeAll(async () => {
    ensureBuilt();
    // The app's own migrations only: what a release step that forgot the job queue leaves.
    const dataSource = await new DataSource(
      dataSourceOptions({ url: database.url, poolMax: 2 }),
    ).initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });

  const connectionsTo = async (url: string) => {
    const client = new Client({ connectionString: process.env.TEST_SERVER_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [new URL(url).pathname.slice(1)],
      );
      return rows[0].n;
    } finally {
      await client.end();
    }
  };

  it('with MIGRATIONS_RUN=false the app does not start, and says what to run', async () => {
    const starting = database.start({ MIGRATIONS_RUN: 'false' });
    await expect(starting).rejects.toThrow(JobQueueSchemaError);
    await expect(starting).rejects.toThrow(/not installed.*npm run migration:run/);
    // Nothing left connected behind the failed start.
    await until(async () => (await connectionsTo(database.url)) === 0, 'the pool to close');
  });

  it('the built server exits 1 with one line; after `npm run migration:run:built` it starts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'task-api-jobs-'));
    const env = {
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: dataDir,
      MIGRATIONS_RUN: 'false',
      // Without Nest's start-up lines at info, the failure's own line is all there is.
      LOG_LEVEL: 'warn',
    };
    try {
      expect(await failedStartLines(env)).toEqual([
        expect.stringMatching(/job queue is not installed.*migration:run/),
      ]);

      // The release step: the app's migrations (none pending) and then the job queue's schema.
      const { stdout } = await promisify(execFile)('npm', ['run', 'migration:run:built'], {
        env: { ...process.env, ...env },
      });
      expect(stdout).toMatch(/job queue schema "pgboss" is at version \d+/);
      // The queue SQL feeds (a webhook delivery's job, made in the change's transaction) exists
      // before any instance consumes it: an insert into a missing queue fails the user's write.
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const queues = await client.query(`SELECT name FROM pgboss.queue ORDER BY name`);
        expect(queues.rows.map((row) => row.name)).toContain('webhooks.deliver');
      } finally {
        await client.end();
      }
      await (await database.start({ MIGRATIONS_RUN: 'false' })).close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
