import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { Sql } from '../database/sql';
import {
  assertCron,
  assertJobName,
  createQueue,
  CONSUMER_QUEUE,
  JOB_QUEUE_SCHEMA,
  jobQueueDb,
  startFailure,
} from './job-queue';

/** How often an idle worker asks its queue for a job: the main idle cost, one query each time. */
const POLLING_SECONDS = 5;
/** How often each instance moves due cron jobs into their queues (pg-boss's default is 5 s). */
const CRON_WORKER_SECONDS = 10;
/** On shutdown, how long the jobs running may take to finish before they are left to another instance. */
export const STOP_GRACE_MS = 5_000;

/**
 * Every job's queue. `stately`: at most one job of a name waits and one runs, across all
 * instances (a unique index in pg-boss's table), so two runs never overlap and a slow run does
 * not pile up ticks behind it. A run longer than `expireInSeconds` is failed by pg-boss and
 * retried (while the first may still be running): keep each run well within it. A failed run is
 * retried twice, 15-30 s and then 30-60 s later.
 */
const QUEUE = {
  policy: 'stately',
  retryLimit: 2,
  retryDelay: 15,
  retryBackoff: true,
  expireInSeconds: 15 * 60,
} as const;

/** Per instance: this many workers, each taking up to this many jobs at a time. */
const CONSUMER_WORKERS = 2;
const CONSUMER_BATCH = 10;
/** A consumer's jobs want to start soon after they are due (a webhook delivery). */
const CONSUMER_POLLING_SECONDS = 1;

interface Consumer {
  name: string;
  handle: (data: unknown[]) => Promise<void>;
  registered?: Promise<void>;
}

/** Work each instance repeats by itself (see `repeat`). */
interface Repeated {
  name: string;
  everyMs: number;
  run: () => Promise<boolean>;
  drain?: () => Promise<void>;
  /** The loop, once started; resolves when it has stopped. */
  running?: Promise<void>;
}

interface Job {
  name: string;
  cron: string;
  run: () => Promise<unknown>;
  /** The id of this instance's worker, once the queue, schedule and worker exist. */
  registered?: Promise<string>;
}

/**
 * The one place background work is scheduled: recurring jobs on pg-boss, the PostgreSQL job queue,
 * shared by every instance. A cron tick makes one job, which one worker on one instance runs.
 * Features define their jobs in their `onModuleInit`; pg-boss starts once the application has
 * bootstrapped (the database migrated, the job queue's schema installed with it), and stops,
 * bounded, before the pool closes.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly jobs = new Map<string, Job>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly repeated = new Map<string, Repeated>();
  /** Cuts the repeated work's waits short at shutdown. */
  private readonly idle = new AbortController();
  private boss?: PgBoss;
  private started?: Promise<void>;
  private stopping?: Promise<void>;
  private stopped = false;

  constructor(private readonly sql: Sql) {}

  /**
   * A recurring job: `run` at each tick of `cron` (5 fields, UTC, e.g. `0 * * * *` hourly), on one
   * instance at a time. Defined after start-up, its queue and worker are set up at once.
   */
  define(name: string, cron: string, run: () => Promise<unknown>): void {
    assertJobName(name);
    assertCron(name, cron);
    if (this.jobs.has(name)) throw new Error(`Job ${name} is defined twice`);
    if (this.stopping) throw new Error(`Job ${name} is defined after the job queue stopped`);
    const job: Job = { name, cron, run };
    this.jobs.set(name, job);
    if (this.boss) {
      this.register(job).catch((error: Error) =>
        this.logger.warn(`setting up job ${name} failed: ${error.message}`),
      );
    }
  }

  /**
   * Handles every job of the queue `name` (whoever made it): `handle` gets the data of a batch of
   * them (up to CONSUMER_BATCH), so it can do its database work once per batch; when it throws,
   * the whole batch is retried (up to 5 times, backing off). Several batches at once per instance.
   */
  consume(name: string, handle: (data: unknown[]) => Promise<void>): void {
    assertJobName(name);
    if (this.consumers.has(name)) throw new Error(`Queue ${name} is consumed twice`);
    const consumer: Consumer = { name, handle };
    this.consumers.set(name, consumer);
    if (this.boss) {
      this.registerConsumer(consumer).catch((error: Error) =>
        this.logger.warn(`setting up queue ${name} failed: ${error.message}`),
      );
    }
  }

  /**
   * Work that every instance does by itself, every `everyMs` while the queue runs, such as
   * draining an outbox (whatever it takes must be claimed in the database, as with FOR UPDATE
   * SKIP LOCKED, since every instance runs it): `run` resolves to whether more is waiting, and
   * then runs again at once. A failure (the database away) is a warning, once until a run
   * succeeds again; the next round retries. Stopped, with its current run awaited, before the
   * job queue stops. `drain`, when given, resolves once what the runs left going in the
   * background is done: awaited at shutdown, within the same grace as the jobs running.
   */
  repeat(
    name: string,
    everyMs: number,
    run: () => Promise<boolean>,
    drain?: () => Promise<void>,
  ): void {
    assertJobName(name);
    if (this.repeated.has(name)) throw new Error(`Work ${name} is repeated twice`);
    if (this.stopping) throw new Error(`Work ${name} is repeated after the job queue stopped`);
    const work: Repeated = { name, everyMs, run, drain };
    this.repeated.set(name, work);
    if (this.boss) work.running = this.loop(work);
  }

  /**
   * Queues one run of a defined job now and resolves once it has completed, on whichever instance
   * took it; rejects when that run failed. When a run of it is already waiting, that run, which
   * starts after this call, is the one waited for.
   */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`No job named ${name} is defined`);
    if (!this.started) throw new Error('The job queue has not started yet');
    if (this.stopping) throw new Error('The job queue is stopping');
    await this.started;
    const workerId = await this.register(job);
    const boss = this.boss!;
    const id = await this.enqueue(boss, name);
    // This instance's worker asks for it now rather than at its next poll.
    boss.notifyWorker(workerId);
    await this.outcome(boss, name, id);
  }

  onApplicationBootstrap(): Promise<void> {
    return (this.started ??= this.start());
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /**
   * Takes no new job, waits up to STOP_GRACE_MS for the ones running, then marks those failed, so
   * another instance retries them. Resolves within that bound (plus 2 s for pg-boss's own
   * clean-up), whatever the database does. Idempotent: main.ts calls it at SIGTERM, alongside the
   * HTTP drain, and the app's close calls it again.
   */
  stop(): Promise<void> {
    return (this.stopping ??= this.shutdown());
  }

  private async start(): Promise<void> {
    const boss = new PgBoss({
      db: jobQueueDb(this.sql.pool, (message) => this.logger.warn(message)),
      schema: JOB_QUEUE_SCHEMA,
      // Installed and upgraded with the migrations (database.module.ts, npm run migration:run),
      // on connections without the statement timeout; here it is only checked.
      migrate: false,
      pollingIntervalSeconds: POLLING_SECONDS,
      cronWorkerIntervalSeconds: CRON_WORKER_SECONDS,
    });
    // Its timers report a database outage here (and retry by themselves): a warning, no crash.
    boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
    try {
      await boss.start();
    } catch (error) {
      throw await startFailure(boss, error);
    }
    this.boss = boss;
    for (const work of this.repeated.values()) work.running = this.loop(work);
    await Promise.all([
      ...[...this.jobs.values()].map((job) => this.register(job)),
      ...[...this.consumers.values()].map((consumer) => this.registerConsumer(consumer)),
    ]);
  }

  private registerConsumer(consumer: Consumer): Promise<void> {
    return (consumer.registered ??= (async () => {
      const boss = this.boss!;
      await createQueue(this.sql, { name: consumer.name, ...CONSUMER_QUEUE });
      const options = {
        batchSize: CONSUMER_BATCH,
        pollingIntervalSeconds: CONSUMER_POLLING_SECONDS,
      };
      for (let worker = 0; worker < CONSUMER_WORKERS; worker++) {
        const id: string = await boss.work(consumer.name, options, async (jobs) => {
          if (this.stopping) throw new Error('the instance was shutting down');
          // pg-boss waits the polling interval after every batch, found jobs or not: a full
          // batch means more are waiting, so the worker fetches again at once (else a backlog
          // drains at workers x batch per second).
          if (jobs.length === CONSUMER_BATCH) boss.notifyWorker(id);
          await consumer.handle(jobs.map((job) => job.data));
        });
      }
    })());
  }

  private register(job: Job): Promise<string> {
    return (job.registered ??= (async () => {
      const boss = this.boss!;
      // An existing queue takes the options this build gives it.
      await createQueue(this.sql, { name: job.name, ...QUEUE });
      await boss.schedule(job.name, job.cron);
      return boss.work(job.name, ([queued]) => this.execute(job, queued.id));
    })());
  }

  private async loop(work: Repeated): Promise<void> {
    let failing = false;
    while (!this.stopping) {
      let more = false;
      try {
        more = await work.run();
        if (failing) this.logger.log(`${work.name} works again`);
        failing = false;
      } catch (error) {
        if (!failing) this.logger.warn(`${work.name} failed: ${(error as Error).message}`);
        failing = true;
      }
      if (!more && !this.stopping)
        await sleep(work.everyMs, undefined, { signal: this.idle.signal }).catch(() => undefined);
    }
  }

  private async execute(job: Job, id: string): Promise<void> {
    // Fetched while this instance stops: failed at once, so it is retried elsewhere.
    if (this.stopping) throw new Error('the instance was shutting down');
    const started = Date.now();
    try {
      const result = await job.run();
      const detail = typeof result === 'number' || typeof result === 'string' ? ` (${result})` : '';
      this.logger.debug(`job ${job.name} ${id} done in ${Date.now() - started} ms${detail}`);
    } catch (error) {
      this.logger.warn(
        `job ${job.name} ${id} failed after ${Date.now() - started} ms: ${(error as Error).message}`,
      );
      throw error;
    }
  }

  /** A new job of that name, or, when the stately queue holds one waiting already, that one. */
  private async enqueue(boss: PgBoss, name: string): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = await boss.send(name, {});
      if (id) return id;
      const waiting = await this.sql.one<{ id: string }>(
        `SELECT id FROM ${JOB_QUEUE_SCHEMA}.job WHERE name = $1 AND state = 'created'`,
        [name],
      );
      if (waiting) return waiting.id;
      // It started in between: the queue has room again.
    }
    throw new Error(`Could not queue a run of job ${name}`);
  }

  /** Polls the job (20 ms, doubling up to 500 ms) until it completed, or rejects with its error. */
  private async outcome(boss: PgBoss, name: string, id: string): Promise<void> {
    for (let waitMs = 20; ; waitMs = Math.min(waitMs * 2, 500)) {
      await sleep(waitMs);
      const job = await boss.getJobById(name, id, { includeArchive: true });
      if (job?.state === 'completed') return;
      if (!job || ['retry', 'failed', 'cancelled'].includes(job.state)) {
        const outcome = !job
          ? 'vanished'
          : job.state === 'retry'
            ? 'failed (it will be retried)'
            : job.state;
        const error = (job?.output as { message?: string } | null)?.message ?? 'no error recorded';
        throw new Error(`Job ${name} ${id} ${outcome}: ${error}`);
      }
      if (this.stopped) throw new Error(`The job queue stopped before job ${name} ${id} finished`);
    }
  }

  private async shutdown(): Promise<void> {
    await this.started?.catch(() => undefined);
    const boss = this.boss;
    if (!boss) return;
    this.idle.abort();
    const repeated = [...this.repeated.values()];
    const loopsStopped = Promise.all(repeated.map((work) => work.running));
    const stopped = Promise.all([
      loopsStopped.then(() => boss.stop({ graceful: true, timeout: STOP_GRACE_MS, wait: true })),
      loopsStopped.then(() => Promise.all(repeated.map((work) => work.drain?.()))),
    ])
      .then(() => true)
      .catch((error: Error) => {
        this.logger.warn(`stopping the job queue failed: ${error.message}`);
        return true;
      });
    const timer = new AbortController();
    const inTime = await Promise.race([
      stopped,
      sleep(STOP_GRACE_MS + 2_000, false, { signal: timer.signal }).catch(() => true),
    ]);
    timer.abort();
    if (!inTime) this.logger.warn('the job queue did not stop in time: leaving it behind');
    this.stopped = true;
  }
}
