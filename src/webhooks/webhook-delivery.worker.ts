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
 * Sends webhook deliveries: each attempt is a job of the `webhooks.deliver` queue, made in the
 * transaction of the change (migration 1764300000000) or of the failed attempt before it, and
 * taken by a worker of whichever instance is free. The worker claims the attempt (so two
 * workers never send it at once), sends it, and records the outcome: succeeded; or retried
 * after WEBHOOK_RETRY_BASE, doubling (5 s, 10 s, ... 320 s by default); or, after 8 attempts or
 * on a target the rules refuse, failed, the webhook made inactive. Requests never wait for it.
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
    this.jobs.consume(WEBHOOK_DELIVERY_QUEUE, (batch) =>
      this.attempt(batch.map((data) => (data as { deliveryId: string }).deliveryId)),
    );
  }

  /** One attempt of each delivery: claimed together, sent side by side, recorded together. */
  async attempt(deliveryIds: string[]): Promise<void> {
    const claimed = await this.webhooks.claim(deliveryIds);
    const results = await Promise.all(claimed.map((attempt) => this.send(attempt)));
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
  private async send(attempt: ClaimedAttempt): Promise<AttemptResult> {
    try {
      return await sendDelivery(
        attempt.url,
        this.secrets.open(attempt.secret),
        attempt.eventId,
        JSON.stringify(attempt.payload),
        targetRules(this.config),
      );
    } catch (error) {
      return { ok: false, status: null, error: `could not deliver: ${(error as Error).message}` };
    }
  }
}
