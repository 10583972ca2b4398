import dataSource from '../../ormconfig';
import { Sql } from '../database/sql';
import { JOB_QUEUE_SCHEMA, migrateJobQueue } from './job-queue';

/**
 * `npm run migration:run`, after TypeORM's migrations: installs or upgrades the job queue's schema
 * on DATABASE_URL (what an instance started with MIGRATIONS_RUN=true does by itself).
 */
async function main() {
  await dataSource.initialize();
  try {
    const version = await migrateJobQueue(new Sql(dataSource));
    console.log(`job queue schema "${JOB_QUEUE_SCHEMA}" is at version ${version}`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
