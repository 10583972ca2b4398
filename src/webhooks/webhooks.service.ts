import { Inject, Injectable } from '@nestjs/common';
import type { Page } from '../common/paging';
import { conflict, notFound, unauthenticated, validationFailed } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Sql } from '../database/sql';
import { UsersRepository } from '../users/users.repository';
import type { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto';
import { newWebhookSecret, WebhookSecrets } from './webhook-secrets';
import { checkUrl, resolveTarget, TargetRefused, type TargetRules } from './webhook-targets';
import { WebhooksRepository, type DeliveryRecord, type WebhookRecord } from './webhooks.repository';

export const MAX_WEBHOOKS = 20;

const webhookNotFound = () => notFound('WEBHOOK_NOT_FOUND', 'No such webhook.');

/** The target rules of this configuration: plain http outside production, or when allowed. */
export const targetRules = (config: AppConfig): TargetRules => ({
  allowHttp: config.webhookAllowHttp || config.nodeEnv !== 'production',
  allowPrivate: config.webhookAllowPrivate,
});

/**
 * The owner's webhooks: at most 20, each target checked against the rules at create and update
 * (and again at each delivery, by the worker). The secret is made here, returned once, and
 * stored sealed (WebhookSecrets).
 */
@Injectable()
export class WebhooksService {
  private readonly rules: TargetRules;

  constructor(
    private readonly sql: Sql,
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    private readonly users: UsersRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.rules = targetRules(config);
  }

  page(ownerId: string, query: { limit: number; cursor?: string }): Promise<Page<WebhookRecord>> {
    return this.webhooks.page(ownerId, query);
  }

  async get(ownerId: string, id: string): Promise<WebhookRecord> {
    return (await this.webhooks.find(ownerId, id)) ?? throwNotFound();
  }

  async create(
    ownerId: string,
    dto: CreateWebhookDto,
  ): Promise<{ webhook: WebhookRecord; secret: string }> {
    const url = await this.checkTarget(dto.url);
    const events = eventsOf(dto.events);
    const secret = newWebhookSecret();
    const webhook = await this.sql.transaction(async (tx) => {
      const held = await this.users.lockAndCount(tx, ownerId, 'webhooks');
      if (held === undefined) throw unauthenticated();
      if (held >= MAX_WEBHOOKS)
        throw conflict(
          'LIMIT_REACHED',
          `You have ${MAX_WEBHOOKS} webhooks, the most there can be.`,
        );
      return this.webhooks.insert(tx, ownerId, {
        url,
        events,
        description: dto.description ?? null,
        secret: this.secrets.seal(secret),
      });
    });
    return { webhook, secret };
  }

  async update(ownerId: string, id: string, dto: UpdateWebhookDto): Promise<WebhookRecord> {
    if (dto.url === null) throw invalid('url', 'url must be an http or https URL');
    if (dto.events === null) throw invalid('events', 'events must be a non-empty list');
    if ((dto.active as unknown) === null) throw invalid('active', 'active must be true or false');
    const updated = await this.webhooks.update(ownerId, id, {
      url: dto.url === undefined ? undefined : await this.checkTarget(dto.url),
      events: dto.events === undefined ? undefined : eventsOf(dto.events),
      description: dto.description,
      active: dto.active,
    });
    return updated ?? throwNotFound();
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.webhooks.delete(ownerId, id))) throw webhookNotFound();
  }

  async sendTest(ownerId: string, id: string): Promise<void> {
    if (!(await this.webhooks.insertTestEvent(ownerId, id))) throw webhookNotFound();
  }

  async deliveries(
    ownerId: string,
    id: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<DeliveryRecord>> {
    await this.get(ownerId, id);
    return this.webhooks.deliveries(ownerId, id, query);
  }

  /** The URL normalized, if its shape and every address its host resolves to are allowed. */
  private async checkTarget(raw: string): Promise<string> {
    try {
      const url = checkUrl(raw, this.rules);
      await resolveTarget(url, this.rules);
      return url.toString();
    } catch (error) {
      if (error instanceof TargetRefused) throw invalid('url', error.message);
      throw error;
    }
  }
}

const invalid = (field: string, message: string) => validationFailed([{ field, message }]);

function throwNotFound(): never {
  throw webhookNotFound();
}

/** `["*"]` alone, or distinct event names. */
function eventsOf(events: string[]): string[] {
  if (events.includes('*') && events.length > 1)
    throw invalid(
      'events',
      'events is either ["*"] (every event) or a list of event names, not both',
    );
  return [...new Set(events)];
}
