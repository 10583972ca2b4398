import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobsService } from '../jobs/jobs.service';
import { sendDelivery } from './webhook-sender';
import { WebhookSecrets } from './webhook-secrets';
import { targetRules } from './webhooks.service';
import { WebhooksRepository } from './webhooks.repository';

/** The queue of delivery attempts (its jobs are inserted by schedule_webhook_attempt, in SQL). */
export const WEBHOOK_DELIVERY_QUEUE = 'webhooks.deliver';

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
    this.jobs.consume(WEBHOOK_DELIVERY_QUEUE, (data) =>
      this.attempt((data as { deliveryId: string }).deliveryId),
    );
  }

  async attempt(deliveryId: string): Promise<void> {
    const claimed = await this.webhooks.claim(deliveryId);
    if (!claimed) return;
    const body = JSON.stringify(claimed.payload);
    const result = await sendDelivery(
      claimed.url,
      this.secrets.open(claimed.secret),
      claimed.eventId,
      body,
      targetRules(this.config),
    );
    const outcome = { responseStatus: result.status, error: result.error };
    if (result.ok) {
      await this.webhooks.finish(claimed.id, { status: 'succeeded', ...outcome });
      return;
    }
    this.logger.warn(
      `delivery ${claimed.id} attempt ${claimed.attempts} to webhook ${claimed.webhookId} failed: ${result.error}`,
    );
    if (result.refused || claimed.attempts >= MAX_ATTEMPTS) {
      await this.webhooks.finish(claimed.id, { status: 'failed', ...outcome }, claimed.webhookId);
      return;
    }
    const delay = this.config.webhookRetryBaseMs * 2 ** (claimed.attempts - 1);
    await this.webhooks.retryLater(claimed.id, outcome, delay);
  }
}
