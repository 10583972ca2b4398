import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { DynamicModule, Module, OnModuleInit, RequestMethod } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, LevelWithSilent, LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config';

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

/** What the request line needs but only Fastify knows (route template, the caller). */
interface RequestLogContext {
  route?: string;
  userId?: string;
}
type LoggedRequest = IncomingMessage & {
  id?: string;
  originalUrl?: string;
  logContext?: RequestLogContext;
};

/**
 * Structured JSON logs through nestjs-pino: one line per request (method, route, status,
 * duration, user id, request id) and every application log line inside a request carries that
 * request's id. Bodies and headers are never logged.
 */
@Module({})
export class LoggingModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(config: AppConfig, options: LoggingOptions = {}): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: withDestination(
            pinoHttpOptions(config, options.level),
            options.destination ?? prettyStream(config),
          ),
          // nestjs-pino's default route pattern matches nothing on this Fastify adapter.
          forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
        }),
      ],
    };
  }

  /** Fastify resolves the route and the caller after the logging middleware ran: hand them over. */
  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (request, _reply, payload, done) => {
      (request.raw as LoggedRequest).logContext = {
        route: request.routeOptions.url,
        userId: (request as { user?: { id?: string } }).user?.id,
      };
      done(null, payload);
    });
  }
}

function pinoHttpOptions(config: AppConfig, level?: LevelWithSilent) {
  const options: LoggerOptions & Record<string, unknown> = {
    level: level ?? config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    customAttributeKeys: { reqId: 'request_id' },
    // Bind only the request id to the request's logger: no headers, no body.
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : 'info',
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: requestLine,
    customErrorObject: requestLine,
  };
  return options;
}

/** The one line logged per request. */
function requestLine(req: LoggedRequest, res: ServerResponse, fields: Record<string, unknown>) {
  const context = req.logContext ?? {};
  return {
    method: req.method,
    route: context.route,
    url: (req.originalUrl ?? req.url)?.split('?')[0],
    status: res.statusCode,
    duration_ms: fields.responseTime,
    user_id: context.userId,
  };
}

function withDestination<T>(
  options: T,
  destination?: DestinationStream,
): T | [T, DestinationStream] {
  return destination ? [options, destination] : options;
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
