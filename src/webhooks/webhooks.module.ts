import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookSecrets } from './webhook-secrets';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [UsersModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhooksRepository,
    WebhookDeliveryWorker,
    {
      provide: WebhookSecrets,
      useFactory: (config: AppConfig) => new WebhookSecrets(config.jwtSecret),
      inject: [APP_CONFIG],
    },
  ],
})
export class WebhooksModule {}
