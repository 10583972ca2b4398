import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { ConfigError, loadConfig } from './config/config';
import { RunningDatabase, startEmbeddedDatabase } from './database/embedded-database';

async function bootstrap() {
  const started = Date.now();
  const logger = new Logger('Bootstrap');
  const config = loadConfig();
  const database: RunningDatabase = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedDatabase(config.dataDir, (line) => logger.log(line));
  if (!config.databaseUrl) logger.log(`embedded PostgreSQL running for ${config.dataDir}`);
  try {
    const app = await createApp(config, database.url);
    // Stop the embedded server only after Nest has closed the pool.
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await database.stop();
    };
    await app.listen({ port: config.port, host: '0.0.0.0' });
    logger.log(
      `listening on http://localhost:${config.port} (docs at /docs) in ${Date.now() - started} ms`,
    );
  } catch (error) {
    await database.stop();
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
