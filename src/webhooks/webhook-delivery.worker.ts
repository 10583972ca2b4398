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
/** First attempts per job: sent side by side, and one pg-boss job rather than ten. */
const DELIVERIES_PER_JOB = 10;

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
 * with jobs of their first attempts (ten deliveries a job). Each attempt is in a job of the
 * `webhooks.deliver` queue, made by that dispatch or in the transaction of the failed attempt
 * before it, and taken by a worker of whichever instance is free. The worker claims the attempt
 * (so two workers never send it at once), sends it, and records the outcome: succeeded; or
 * retried after WEBHOOK_RETRY_BASE, doubling (5 s, 10 s, ... 320 s by default); or, after 8
 * attempts or on a target the rules refuse, failed, the webhook made inactive. Requests never
 * wait for it.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly jobs: JobsService,
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.jobs.repeat('webhooks.dispatch', DISPATCH_EVERY_MS, () => this.dispatch());
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

  /** One batch of the outbox fanned out; this instance's workers woken for the new jobs. */
  async dispatch(): Promise<boolean> {
    const { events, deliveries } = await this.webhooks.dispatchEvents(
      DISPATCH_BATCH,
      DELIVERIES_PER_JOB,
    );
    if (deliveries) this.jobs.wake(WEBHOOK_DELIVERY_QUEUE);
    return events === DISPATCH_BATCH;
  }

  /** One attempt of each delivery: claimed together, sent side by side, recorded together. */
  async attempt(deliveryIds: string[]): Promise<void> {
    const claimed = await this.webhooks.claim(deliveryIds);
    // Each webhook's secret decrypted once for the batch, not once per delivery.
    const secrets = new Map<string, string>();
    const results = await Promise.all(claimed.map((attempt) => this.send(attempt, secrets)));
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
