import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { problemOf, PROBLEM_CONTENT_TYPE, ProblemFilter } from './common/problem.filter';
import { ProblemException } from './common/problem';
import { writeResponseHeaders } from './common/response';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/config';
import { NestPinoLogger } from './logging/nest-logger';
import { API_TOKEN, BEARER, finishDocument } from './openapi/openapi-document';

export const BODY_LIMIT_BYTES = 100 * 1024;
/** Longer URLs get 414 (a header over Node's 16 KiB limit is 431 before we see it). */
export const URL_LIMIT_BYTES = 8 * 1024;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export interface CreateAppOptions {
  /** false: silent (the tests), unless `logDestination` asks for the log lines. */
  logger?: LoggerService | false;
  /**
   * Where the JSON log lines go instead of stdout (a test reads them from here). Request lines go
   * to each app's own destination; Nest's own lines go through Nest's one static logger per
   * process: the last app created in a process sets their level and destination.
   */
  logDestination?: DestinationStream;
  /** Routes and document only: no provider is instantiated, nothing connects (npm run openapi). */
  preview?: boolean;
}

/**
 * Builds the whole HTTP application (not yet listening): used by main.ts and by every e2e test,
 * so the tests exercise exactly what production serves.
 */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const problems = new ProblemFilter();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify also takes a hop count, which its types omit.
    trustProxy: config.trustProxy as boolean | string[] | undefined,
    genReqId: requestIdFor,
    // The router's own errors (a path segment over 100 characters, a bad percent-encoding) come
    // before any hook: they get the headers onRequest would have set, and a problem body.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', request.id);
      reply.headers(SECURITY_HEADERS);
      problems.reply(error, request, reply);
    },
    clientErrorHandler: answerClientError,
  });
  const silent = options.logger === false && !options.logDestination;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl, {
      level: silent ? 'silent' : undefined,
      destination: options.logDestination,
    }),
    adapter,
    // bodyParser off: configureHttp installs the only body parser (JSON).
    {
      logger: silent ? false : options.logger || undefined,
      bufferLogs: !silent,
      bodyParser: false,
      preview: options.preview,
    },
  );
  // Nest's own log lines (start-up, ProblemFilter, which names the request id) become JSON lines.
  if (!silent && !options.logger) app.useLogger(app.get(NestPinoLogger));
  configureHttp(app);
  configureCors(app, config);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(problems);
  if (config.docsEnabled) setUpSwagger(app);
  try {
    await app.init();
  } catch (error) {
    // A start-up hook failed (the job queue's schema missing, say): close what did start (the
    // pool) so the caller gets the error, not an open handle.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

function configureHttp(app: NestFastifyApplication) {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(SECURITY_HEADERS);
    if (request.url.length > URL_LIMIT_BYTES) {
      return done(
        new ProblemException(
          414,
          'URI_TOO_LONG',
          `The URL is longer than ${URL_LIMIT_BYTES / 1024} KiB.`,
        ),
      );
    }
    done();
  });
  fastify.addHook('preSerialization', (request, reply, payload, done) =>
    done(null, writeResponseHeaders(request, reply, payload)),
  );

  // JSON only; an empty body is "no body" (a bodiless PATCH .../complete toggles), not an error.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(;.*)?$/i,
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(
          Object.assign(new Error((error as Error).message), {
            statusCode: 400,
            code: 'FST_ERR_CTP_INVALID_JSON_BODY',
          }),
          undefined,
        );
      }
    },
  );
}

/**
 * Errors Node's HTTP parser raises before Fastify has a request (headers over 16 KiB, a malformed
 * request line): a problem document written on the socket, which is then closed, as Node does.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are larger than the 16 KiB limit.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request was not received in time.']
        : [400, 'The request is not valid HTTP.'];
  const code = { 400: 'BAD_REQUEST', 408: 'REQUEST_TIMEOUT', 431: 'HEADERS_TOO_LARGE' }[status]!;
  const body = JSON.stringify(problemOf(status, code, detail));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Helmet's headers (nosniff, no X-Powered-By, HSTS, frame denial...) with a CSP that Swagger UI
 * at /docs can live with: its scripts and stylesheet are served from here, but it needs inline
 * styles and data: images.
 */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

/**
 * The headers helmet sets, computed once. They are the same on every response (no CSP nonces),
 * and @fastify/helmet rebuilt helmet's middleware, CSP parsing included, on every request: 7% of
 * the CPU of GET one task.
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error;
    },
  );
  return headers;
}

const SECURITY_HEADERS = helmetHeaders(HELMET_OPTIONS);

/**
 * CORS only for CORS_ORIGINS; bearer tokens, not cookies, so no credentials mode (and never `*`).
 * The security headers are set by configureHttp's onRequest hook.
 */
function configureCors(app: NestFastifyApplication, config: AppConfig) {
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: false,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'If-Match',
        'Idempotency-Key',
        'X-Request-Id',
      ],
      exposedHeaders: ['ETag', 'Link', 'Location', 'Retry-After', 'X-Request-Id', 'X-Total-Count'],
      maxAge: 600,
    });
  }
}

const servedDocuments = new WeakMap<NestFastifyApplication, OpenAPIObject>();

/** The OpenAPI document the app serves at /docs-json (undefined when DOCS_ENABLED is off). */
export const openApiDocumentOf = (app: NestFastifyApplication) => servedDocuments.get(app);

function setUpSwagger(app: NestFastifyApplication) {
  const document = finishDocument(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Task API')
        .setDescription(API_DESCRIPTION)
        .setVersion('1.0.0')
        .setLicense('MIT', 'https://opensource.org/license/mit')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'tap_',
            description:
              'An API token (`tap_...`, from POST /api/auth/tokens): for scripts and integrators. ' +
              'It calls only what its scopes allow: `tasks:read` every GET under /api/{user_id}, ' +
              '`tasks:write` every method there, `admin` the /api/admin routes (while its user is ' +
              'an admin), and of /api/auth only GET /api/auth/me. Anything else is 403 ' +
              'INSUFFICIENT_SCOPE; each operation lists this scheme where a token may call it, ' +
              'and which scopes will do in `x-api-token-scopes`.',
          },
          API_TOKEN,
        )
        .build(),
    ),
  );
  servedDocuments.set(app, document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

const API_DESCRIPTION = `
A multi-user task API. Every user keeps their own tasks, isolated from everyone else's.
JSON in and out, \`snake_case\` fields, timestamps in ISO 8601 UTC, ids are UUIDs.

### Auth
\`POST /api/auth/register\` (\`{email, password, name?}\`) or \`POST /api/auth/login\` (\`{email, password}\`)
returns a session: an \`access_token\` (a JWT, 15 minutes by default) and a \`refresh_token\`.
Send the access token on every other call (or use **Authorize** above):

    Authorization: Bearer eyJhbGciOiJIUzI1NiIs...

When it expires, \`POST /api/auth/refresh\` with \`{"refresh_token": "..."}\` returns a new pair and spends
the old refresh token. Presented again within a short grace of its first use (10 seconds by default,
for tabs refreshing at once) it still gets a fresh pair of its own on the same login; after that
window it is a replay, and presenting it ends that whole login. \`POST /api/auth/logout\` ends it.
A missing, expired or revoked token is \`401 UNAUTHENTICATED\` with \`WWW-Authenticate: Bearer\`.

### API tokens
For scripts and integrators, \`POST /api/auth/tokens\` (with an access token) makes a long-lived token
with \`scopes\` (\`tasks:read\`, \`tasks:write\`, \`admin\`) and an optional \`expires_in_days\`, shown once:
send it the same way, \`Authorization: Bearer tap_...\` (or **Authorize** as \`apiToken\`). A route
outside its scopes is \`403 INSUFFICIENT_SCOPE\`; \`DELETE /api/auth/tokens/{id}\` revokes it at once.

### Ownership
Task routes are \`/api/{user_id}/tasks\` where \`{user_id}\` is your own id or the literal \`me\`:
\`GET /api/me/tasks\`. Another user's id is \`403 FORBIDDEN\` (admins included: oversight is under
\`/api/admin\`). A task that is not yours is \`404 TASK_NOT_FOUND\`, exactly like a missing one, so
existence never leaks.

### Paging
Lists are JSON arrays; paging is in headers. \`X-Total-Count\` is the number of matching rows (exact
up to 10,000, \`COUNT_LIMIT\`; left out when more match), and when there is more, \`Link\` points to
the next page with an opaque \`cursor\`:

    GET /api/me/tasks?status=pending&sort=due_date&order=asc&limit=20
    X-Total-Count: 57
    Link: </api/me/tasks?status=pending&sort=due_date&order=asc&limit=20&cursor=eyJ2Ijo...>; rel="next"

Follow \`rel="next"\` until it is absent; \`limit\` is 1-100 (default 50).

### Errors
Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`; a 400 lists each
offending field in \`errors\`:

    {"type": "https://task-api.dev/problems/validation-failed", "title": "Bad Request", "status": 400,
     "detail": "Invalid request: check title.", "code": "VALIDATION_FAILED",
     "errors": [{"field": "title", "message": "title must be 1 to 200 characters"}]}

Every response carries \`X-Request-Id\` (yours if you sent a sane one): quote it when reporting a problem.
While the database is down, calls get \`503 SERVICE_UNAVAILABLE\` with \`Retry-After\`.

### Concurrency
\`GET\` of one task returns an \`ETag\`. Send it back as \`If-Match\` on \`PUT\`, \`PATCH\` or \`DELETE\`:
if someone changed the task in between, you get \`412 PRECONDITION_FAILED\` and nothing changes.

    PATCH /api/me/tasks/{id}
    If-Match: "3"

### Idempotency
A \`POST\` may carry \`Idempotency-Key: <unique string>\`. Retrying with the same key within 24 hours
returns the first response again and creates nothing; the same key with a different body is
\`422 IDEMPOTENCY_KEY_REUSED\`.

    POST /api/me/tasks
    Idempotency-Key: 7d0c6c1e-2b4f-4a8e-9c1d-3e5f7a9b0c2d
`.trim();
