import { DataSource } from 'typeorm';

/** Any fixed number: the advisory lock every instance takes while it migrates. */
const MIGRATION_LOCK = 727_411;

/**
 * Applies pending migrations, one instance at a time: several instances starting together on one
 * database wait for each other instead of racing to create the same tables.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
