import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { migrateJobQueue } from '../jobs/job-queue';
import { DatabaseSettings, dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';
import { Sql } from './sql';

/**
 * Migrations run on connections of their own without DATABASE_STATEMENT_TIMEOUT: building an
 * index on a large table may rightly take longer than any request should. Two of them:
 * runMigrations holds its advisory lock on one and migrates on the other. The job queue's schema
 * (pg-boss's `pgboss`) is installed or upgraded right after, the same way.
 */
async function migrateUnbounded(url: string): Promise<void> {
  const dataSource = await new DataSource(dataSourceOptions({ url, poolMax: 2 })).initialize();
  try {
    const applied = await runMigrations(dataSource);
    if (applied.length) new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
    await migrateJobQueue(new Sql(dataSource));
  } finally {
    await dataSource.destroy();
  }
}

@Module({})
export class DatabaseModule {
  /** The DataSource, migrated before anything else can use it (unless migrationsRun is off). */
  static forRoot(settings: DatabaseSettings & { migrationsRun: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [Sql],
      exports: [Sql],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(settings),
          dataSourceFactory: async (options) => {
            if (settings.migrationsRun) await migrateUnbounded(settings.url);
            return new DataSource(options!).initialize();
          },
        }),
      ],
    };
  }
}
