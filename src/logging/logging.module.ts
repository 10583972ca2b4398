import { createRequire } from 'node:module';
import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  pino,
  type Logger as PinoLogger,
  type DestinationStream,
  type LevelWithSilent,
  type LoggerOptions,
} from 'pino';
import type { AppConfig } from '../config/config';
import { NestPinoLogger } from './nest-logger';

/** Where log lines go: stdout by default; tests pass a stream to read them. */
export interface LoggingOptions {
  level?: LevelWithSilent;
  destination?: DestinationStream;
}

/** Never written to a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  'password',
  'access_token',
  'refresh_token',
  'token',
];

const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/**
 * Structured JSON logs (pino): one line per request (method, route, status, duration, user id,
 * request id), and Nest's own lines (start-up, ProblemFilter) through NestPinoLogger.
 * Bodies and headers are never logged.
 *
 * The request line is written by a Fastify onResponse hook, not by a per-request middleware:
 * nestjs-pino's (pino-http, a child logger per request, and an AsyncLocalStorage that puts
 * promise hooks on every promise of the process) cost 150 of the 460 µs of CPU that GET one task
 * took (bench/results/profile.md). The only line written inside a request is ProblemFilter's,
 * and it names its request id itself.
 */
@Module({})
export class LoggingModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(REQUEST_LOGGER) private readonly logger: PinoLogger,
  ) {}

  static forRoot(config: AppConfig, options: LoggingOptions = {}): DynamicModule {
    const destination = options.destination ?? prettyStream(config) ?? stdout();
    const level = options.level ?? config.logLevel;
    const root = pino(
      { ...lineOptions(level), redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
      destination,
    );
    // The request line is built from fields that hold no secret (requestLine): pino's redaction,
    // which walks every path of REDACTED_PATHS through each line, was 3% of GET one's CPU.
    const requests = pino(lineOptions(level), destination);
    return {
      module: LoggingModule,
      providers: [
        { provide: REQUEST_LOGGER, useValue: requests },
        { provide: NestPinoLogger, useValue: new NestPinoLogger(root) },
      ],
      exports: [NestPinoLogger],
    };
  }

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const failed = reply.statusCode >= 500;
      this.logger[failed ? 'error' : 'info'](
        requestLine(request, reply),
        failed ? 'request failed' : 'request completed',
      );
      done();
    });
    fastify.addHook('onRequestAbort', (request, done) => {
      this.logger.info(requestLine(request), 'request aborted by the client');
      done();
    });
  }
}

/** Every line's shape: JSON, no pid or hostname, an ISO time. */
function lineOptions(level: string): LoggerOptions {
  return { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
}

/** The one line logged per request: no header, no body, the path without its query. */
function requestLine(request: FastifyRequest, reply?: FastifyReply) {
  return {
    request_id: request.id,
    method: request.method,
    route: request.routeOptions.url,
    url: request.url.split('?', 1)[0],
    status: reply?.statusCode,
    duration_ms: reply && Math.round(reply.elapsedTime * 100) / 100,
    user_id: (request as { user?: { id?: string } }).user?.id,
  };
}

/**
 * Standard output, written asynchronously: a line waits while the previous write is under way
 * and goes with the next one, so under load many lines cost one write, done off the main thread.
 * pino's default, a synchronous write per line, was about 15% of the CPU of GET one task
 * (bench --against with LOG_LEVEL=warn). What is buffered is flushed when the process exits
 * (pino registers that), so a shutdown or a fatal error loses no line; a SIGKILL may lose the last.
 */
function stdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/**
 * Readable lines for a person at a development terminal. pino-pretty is a dev dependency: where it
 * is not installed (the production image) the output stays JSON.
 */
function prettyStream(config: AppConfig): DestinationStream | undefined {
  if (config.nodeEnv !== 'development' || !process.stdout.isTTY) return undefined;
  try {
    const pretty = createRequire(__filename)('pino-pretty') as (
      options: object,
    ) => DestinationStream;
    return pretty({ translateTime: 'SYS:HH:MM:ss.l', singleLine: true });
  } catch {
    return undefined;
  }
}
