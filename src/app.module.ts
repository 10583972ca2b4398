import { ChangesModule } from './changes/changes.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/config';
import { PagingModule } from './common/paging';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { ListsModule } from './lists/lists.module';
import { LoggingModule, LoggingOptions } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** `databaseUrl` is the URL actually used: the configured one or the embedded server's. */
  static forRoot(
    config: AppConfig,
    databaseUrl: string,
    logging: LoggingOptions = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, logging),
        DatabaseModule.forRoot({
          url: databaseUrl,
          poolMax: config.databasePoolMax,
          statementTimeoutMs: config.databaseStatementTimeoutMs,
          migrationsRun: config.migrationsRun,
        }),
        JobsModule,
        PagingModule,
        UsersModule,
        AuthModule,
        ListsModule,
        TasksModule,
        ChangesModule,
        WebhooksModule,
        AdminModule,
        HealthModule,
        MetricsModule.forRoot(config),
      ],
    };
  }
}
