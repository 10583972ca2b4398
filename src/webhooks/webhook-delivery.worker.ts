import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { SQL_FED_QUEUES } from '../jobs/job-queue';
import { JobsService } from '../jobs/jobs.service';
import { sendDelivery, type AttemptResult } from './webhook-sender';
import { WebhookSecrets } from './webhook-secrets';
import { targetRules } from './webhooks.service';
import { WebhooksRepository, type ClaimedAttempt, type FinalOutcome } from './webhooks.repository';

/** The queue of delivery attempts (its jobs are inserted by schedule_webhook_attempt, in SQL). */
export const WEBHOOK_DELIVERY_QUEUE: (typeof SQL_FED_QUEUES)[number] = 'webhooks.deliver';

/** Attempts a delivery gets in all; after the last failure it is failed and its webhook inactive. */
export const MAX_ATTEMPTS = 8;

/**
 * How often each instance looks for events in the outbox when it last found none: the delay a
 * delivery may add to its change, and an idle instance's cost (one cheap DELETE each time).
 */
const DISPATCH_EVERY_MS = 250;
/** Events fanned out per statement; a full batch means more wait, taken at once. */
const DISPATCH_BATCH = 200;
/**
 * First attempts an instance sends at once, at most: the dispatch takes no more events while
 * this many are in flight (a dead receiver holds its attempts for the 10 s timeout).
 */
const MAX_IN_FLIGHT = 400;

/**
 * Requests started in one go before the event loop gets a turn: starting one costs about 0.1 ms
 * of the loop, and a whole batch at once would hold up the API's own requests (and their
 * transactions, which hold their list's lock meanwhile) by as much as 20 ms.
 */
const SEND_CHUNK = 8;
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * How long a finished delivery (succeeded or failed) stays in its webhook's history: the
 * `webhook-deliveries.purge` job deletes older ones, hourly, so the table does not grow forever.
 */
export const DELIVERY_RETENTION_DAYS = 30;

/** A job's data: the deliveries it attempts (`deliveryId`: one, from a build before the outbox). */
type AttemptJob = { deliveryIds: string[] } | { deliveryId: string };

/**
 * Sends webhook deliveries. A change's event is written to the outbox in the change's transaction
 * (migrations 1764300000000, 1764700000000); every instance drains the outbox into deliveries,
 * claiming their first attempts, and sends those at once, in the background (a bounded number at
 * a time). A later attempt is in a job of the `webhooks.deliver` queue, made in the transaction
 * of the failed attempt before it, and taken by a worker of whichever instance is free, which
 * claims it (so two workers never send it at once), sends it and records the outcome: succeeded;
 * or retried after WEBHOOK_RETRY_BASE, doubling (5 s, 10 s, ... 320 s by default); or, after 8
 * attempts or on a target the rules refuse, failed, the webhook made inactive. Every claim comes
 * with a job due when it lapses, which sends again what an instance that died left claimed.
 * Requests never wait for any of it.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');
  /** First attempts this instance is sending, by the dispatch that claimed them. */
  private readonly sending = new Set<Promise<void>>();
  private inFlight = 0;

  constructor(
    private readonly jobs: JobsService,
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.jobs.repeat(
      'webhooks.dispatch',
      DISPATCH_EVERY_MS,
      () => this.dispatch(),
      async () => void (await Promise.all(this.sending)),
    );
    this.jobs.define('webhook-deliveries.purge', '15 * * * *', () =>
      this.webhooks.purgeFinished(DELIVERY_RETENTION_DAYS * 24 * 3600),
    );
    this.jobs.consume(WEBHOOK_DELIVERY_QUEUE, (batch) =>
      this.attempt(
        (batch as AttemptJob[]).flatMap((job) =>
          'deliveryIds' in job ? job.deliveryIds : [job.deliveryId],
        ),
      ),
    );
  }

  /**
   * One batch of the outbox fanned out, its first attempts sent in the background. Resolves to
   * whether more events may be waiting.
   */
  async dispatch(): Promise<boolean> {
    const limit = Math.min(DISPATCH_BATCH, MAX_IN_FLIGHT - this.inFlight);
    if (limit <= 0) return false;
    const { events, attempts } = await this.webhooks.dispatchEvents(limit);
    if (attempts.length) {
      this.inFlight += attempts.length;
      const sent = this.deliver(attempts)
        .catch((error: Error) =>
          // Left claimed: the dispatch's job sends them again once the claim lapses.
          this.logger.warn(`recording ${attempts.length} deliveries failed: ${error.message}`),
        )
        .finally(() => {
          this.inFlight -= attempts.length;
          this.sending.delete(sent);
        });
      this.sending.add(sent);
    }
    return events === limit;
  }

  /** The next attempt of each of a job's deliveries, those that still have one due. */
  async attempt(deliveryIds: string[]): Promise<void> {
    await this.deliver(await this.webhooks.claim(deliveryIds));
  }

  /** Claimed attempts sent side by side, and their outcomes recorded together. */
  private async deliver(claimed: ClaimedAttempt[]): Promise<void> {
    // Each webhook's secret decrypted once for the batch, not once per delivery.
    const secrets = new Map<string, string>();
    const sends: Promise<AttemptResult>[] = [];
    for (let i = 0; i < claimed.length; i++) {
      if (i && i % SEND_CHUNK === 0) await yieldToIo();
      sends.push(this.send(claimed[i], secrets));
    }
    const results = await Promise.all(sends);
    const done: FinalOutcome[] = [];
    const failed: FinalOutcome[] = [];
    const webhooksFailed: string[] = [];
    const retries: Promise<void>[] = [];
    claimed.forEach((attempt, i) => {
      const result = results[i];
      const outcome = { id: attempt.id, responseStatus: result.status, error: result.error };
      if (result.ok) {
        done.push({ ...outcome, status: 'succeeded' });
        return;
      }
      this.logger.warn(
        `delivery ${attempt.id} attempt ${attempt.attempts} to webhook ${attempt.webhookId} failed: ${result.error}`,
      );
      if (result.refused || attempt.attempts >= MAX_ATTEMPTS) {
        failed.push({ ...outcome, status: 'failed' });
        webhooksFailed.push(attempt.webhookId);
        return;
      }
      const delay = this.config.webhookRetryBaseMs * 2 ** (attempt.attempts - 1);
      retries.push(this.webhooks.retryLater(attempt.id, outcome, delay));
    });
    await Promise.all([
      done.length ? this.webhooks.finish(done) : undefined,
      failed.length ? this.webhooks.failForGood(failed, webhooksFailed) : undefined,
      ...retries,
    ]);
  }

  /** The POST; an unexpected error is a failed attempt like any other (retried), not the batch's. */
  private async send(
    attempt: ClaimedAttempt,
    secrets: Map<string, string>,
  ): Promise<AttemptResult> {
    try {
      let secret = secrets.get(attempt.webhookId);
      if (secret === undefined)
        secrets.set(attempt.webhookId, (secret = this.secrets.open(attempt.secret)));
      return await sendDelivery(
        attempt.url,
        secret,
        attempt.eventId,
        attempt.body,
        targetRules(this.config),
      );
    } catch (error) {
      return { ok: false, status: null, error: `could not deliver: ${(error as Error).message}` };
    }
  }
}
