import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DatabaseSettings, dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';
import { RawSql } from './raw-sql';

@Module({})
export class DatabaseModule {
  /** The DataSource, migrated before anything else can use it (unless migrationsRun is off). */
  static forRoot(settings: DatabaseSettings & { migrationsRun: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [RawSql],
      exports: [RawSql],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(settings),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (settings.migrationsRun) {
              const applied = await runMigrations(dataSource);
              if (applied.length)
                new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
            }
            return dataSource;
          },
        }),
      ],
    };
  }
}
