import { Module } from '@nestjs/common';
import { UsersModule } from '../../users/users.module';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { ApiTokenHasher } from './api-token-hasher';
import { ApiTokensController } from './api-tokens.controller';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';

/** API tokens: their routes, and the service JwtAuthGuard checks a `tap_` bearer with. */
@Module({
  imports: [UsersModule],
  controllers: [ApiTokensController],
  providers: [
    ApiTokensService,
    ApiTokensRepository,
    {
      provide: ApiTokenHasher,
      useFactory: (config: AppConfig) => new ApiTokenHasher(config.jwtSecret),
      inject: [APP_CONFIG],
    },
  ],
  exports: [ApiTokensService],
})
export class ApiTokensModule {}
