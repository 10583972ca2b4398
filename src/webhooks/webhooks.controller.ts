import { Body, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { ListRoute } from '../common/list-route.decorator';
import { OwnerRoutes } from '../common/owner-routes.decorator';
import { PageQuery } from '../common/paging';
import { PageOf, WithHeaders } from '../common/response';
import { UuidParam } from '../common/uuid';
import {
  CreatedWebhookResponse,
  CreateWebhookDto,
  DeliveryResponse,
  UpdateWebhookDto,
  WebhookResponse,
} from './dto/webhook.dto';
import type { DeliveryRecord, WebhookRecord } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

const NOT_FOUND = 'No such webhook, or not yours (WEBHOOK_NOT_FOUND)';
const iso = (date: Date | null) => (date ? date.toISOString() : null);

const toWebhookResponse = (webhook: WebhookRecord): WebhookResponse => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  description: webhook.description,
  active: webhook.active,
  created_at: webhook.createdAt.toISOString(),
  updated_at: webhook.updatedAt.toISOString(),
});

const toDeliveryResponse = (delivery: DeliveryRecord): DeliveryResponse => ({
  id: delivery.id,
  event_id: delivery.eventId,
  type: delivery.type,
  status: delivery.status,
  attempts: delivery.attempts,
  response_status: delivery.responseStatus,
  error: delivery.error,
  created_at: delivery.createdAt.toISOString(),
  delivered_at: iso(delivery.deliveredAt),
  next_attempt_at: iso(delivery.nextAttemptAt),
});

@OwnerRoutes('Webhooks', 'webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ListRoute(
    { summary: 'Your webhooks, oldest first', operationId: 'listWebhooks' },
    WebhookResponse,
  )
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: PageQuery,
  ): Promise<PageOf<WebhookResponse>> {
    return PageOf.of(await this.webhooks.page(user.id, query), toWebhookResponse);
  }

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to events',
    description:
      'The answer carries the signing `secret`, shown only here. Deliveries are signed POSTs (Standard Webhooks), at least once: dedupe by `webhook-id`.',
    operationId: 'createWebhook',
  })
  @ApiCreatedResponse({
    type: CreatedWebhookResponse,
    headers: { Location: { description: 'URL of the new webhook', schema: { type: 'string' } } },
  })
  @ApiProblem(409, 'You have 20 webhooks already (LIMIT_REACHED)')
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateWebhookDto,
  ): Promise<WithHeaders<CreatedWebhookResponse>> {
    const { webhook, secret } = await this.webhooks.create(user.id, dto);
    return new WithHeaders(
      { ...toWebhookResponse(webhook), secret },
      { location: `/api/${user.id}/webhooks/${webhook.id}` },
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one of your webhooks', operationId: 'getWebhook' })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblems(400)
  @ApiProblem(404, NOT_FOUND)
  async get(@CurrentUser() user: AuthUser, @UuidParam() id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.get(user.id, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a webhook: url, events, description, active',
    operationId: 'updateWebhook',
  })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblem(404, NOT_FOUND)
  async update(
    @CurrentUser() user: AuthUser,
    @UuidParam() id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.update(user.id, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a webhook (its pending deliveries go too)',
    operationId: 'deleteWebhook',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400)
  @ApiProblem(404, NOT_FOUND)
  async delete(@CurrentUser() user: AuthUser, @UuidParam() id: string): Promise<void> {
    await this.webhooks.delete(user.id, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event to it', operationId: 'testWebhook' })
  @ApiAcceptedResponse({ description: 'Queued: see its deliveries' })
  @ApiProblems(400)
  @ApiProblem(404, NOT_FOUND)
  async test(@CurrentUser() user: AuthUser, @UuidParam() id: string): Promise<void> {
    await this.webhooks.sendTest(user.id, id);
  }

  @Get(':id/deliveries')
  @ListRoute(
    { summary: "A webhook's deliveries, newest first", operationId: 'listWebhookDeliveries' },
    DeliveryResponse,
  )
  @ApiProblem(404, NOT_FOUND)
  async deliveries(
    @CurrentUser() user: AuthUser,
    @UuidParam() id: string,
    @Query() query: PageQuery,
  ): Promise<PageOf<DeliveryResponse>> {
    return PageOf.of(await this.webhooks.deliveries(user.id, id, query), toDeliveryResponse);
  }
}
