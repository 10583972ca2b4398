import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/config';
import { dataSourceOptions } from './database/data-source-options';
import {
  EmbeddedDatabaseError,
  RunningDatabase,
  startEmbeddedDatabase,
} from './database/embedded-database';
import { runMigrations } from './database/migrate';
import { DEMO_EMAILS, DEMO_PASSWORD, seedDemoData } from './database/seed';

/**
 * `npm run seed`: demo users and tasks in the database the server would use (DATABASE_URL, or the
 * embedded one in DATA_DIR), migrated first unless MIGRATIONS_RUN=false.
 */
async function seed() {
  const config = loadConfig();
  if (config.nodeEnv === 'production') {
    // Demo accounts with a published password, one of them an admin: never in production.
    throw new ConfigError('NODE_ENV', 'is production: the demo data is not seeded there');
  }
  const database: RunningDatabase = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedDatabase(config.dataDir);
  const dataSource = new DataSource(dataSourceOptions({ url: database.url, poolMax: 2 }));
  try {
    await dataSource.initialize();
    if (config.migrationsRun) await runMigrations(dataSource);
    const { usersCreated, tasksCreated } = await seedDemoData(dataSource);
    console.log(
      `demo data: ${usersCreated} users and ${tasksCreated} tasks created ` +
        `(existing ones left as they were). Sign in as ${DEMO_EMAILS.join(', ')} ` +
        `with password "${DEMO_PASSWORD}"; ${DEMO_EMAILS[0]} is an admin.`,
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

seed().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError || error instanceof EmbeddedDatabaseError
        ? error.message
        : error,
    );
    process.exit(1);
  },
);
