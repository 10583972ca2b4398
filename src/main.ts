import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { createApp } from './app.setup';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import {
  EmbeddedDatabaseError,
  RunningDatabase,
  startEmbeddedDatabase,
} from './database/embedded-database';
import { JobQueueSchemaError } from './jobs/job-queue';
import { JobsService } from './jobs/jobs.service';

/** An orchestrator sends SIGKILL after its grace period (10 s and up): be gone before that. */
const SHUTDOWN_DEADLINE_MS = 9_000;
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function bootstrap() {
  const started = Date.now();
  const config = loadConfig();
  // Lines written before Nest's logger exists, in the same JSON shape.
  const log = pino({
    level: config.logLevel,
    base: undefined,
    name: 'Bootstrap',
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  const database: RunningDatabase = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedDatabase(config.dataDir, (line) => log.info(line));
  if (!config.databaseUrl) log.info(`embedded PostgreSQL running for ${config.dataDir}`);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, database.url);
    await app.listen({ port: config.port, host: '0.0.0.0' });
  } catch (error) {
    await database.stop();
    throw error;
  }
  stopGracefullyOnSignals(app, database, config, log);
  log.info(
    `listening on http://localhost:${config.port} (docs at /docs) in ${Date.now() - started} ms`,
  );
}

/**
 * SIGTERM/SIGINT: stop accepting connections and taking jobs, let the requests and jobs in flight
 * finish (a job gets STOP_GRACE_MS, then is left to another instance), then close the pool and
 * the embedded database, and exit 0. The order matters: Nest's own close() shuts the pool down
 * before the HTTP server, which would fail the requests still running.
 */
function stopGracefullyOnSignals(
  app: NestFastifyApplication,
  database: RunningDatabase,
  config: AppConfig,
  log: pino.Logger,
) {
  // Nothing else may act on these signals (a library's exit hook would stop the database under
  // the requests still running): this process decides the order.
  for (const signal of SHUTDOWN_SIGNALS) process.removeAllListeners(signal);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: finishing the requests in flight, then exiting`);
    setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms: exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      // At once, alongside the HTTP drain; app.close() below waits for it.
      const jobsStopped = app.get(JobsService).stop();
      // Fastify closes the listener and the connections idle right now; a keep-alive connection
      // busy now turns idle once its response is sent and would hold close() open until the
      // client hangs up: close those as they turn idle.
      const server = app.getHttpServer() as Server;
      const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
      try {
        await app.getHttpAdapter().getInstance().close();
      } finally {
        clearInterval(closeIdle);
      }
      log.info('HTTP server closed: no request in flight');
      await jobsStopped;
      await app.close();
      await database.stop();
      if (!config.databaseUrl) log.info('embedded PostgreSQL stopped');
      log.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => void stop(signal));
}

bootstrap().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof EmbeddedDatabaseError ||
    error instanceof JobQueueSchemaError
  ) {
    console.error(error.message);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
