import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config';
import { dataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run|revert|generate`), on the
 * PostgreSQL named by DATABASE_URL. The embedded database migrates itself when the app starts.
 */
const config = loadConfig();
if (!config.databaseUrl) {
  throw new Error(
    'Set DATABASE_URL to run the TypeORM CLI (the embedded database migrates at app start-up).',
  );
}

export default new DataSource(dataSourceOptions({ url: config.databaseUrl, poolMax: 2 }));
