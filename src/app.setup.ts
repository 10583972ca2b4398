import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { ProblemFilter } from './common/problem.filter';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/config';
import { BEARER, finishDocument } from './openapi/openapi-document';

export const BODY_LIMIT_BYTES = 100 * 1024;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export interface CreateAppOptions {
  logger?: LoggerService | false;
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
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify also takes a hop count, which its types omit.
    trustProxy: config.trustProxy as boolean | string[] | undefined,
    genReqId: requestIdFor,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    adapter,
    // bodyParser off: configureHttp installs the only body parser (JSON).
    {
      logger: options.logger ?? ['error', 'warn', 'log'],
      bodyParser: false,
      preview: options.preview,
    },
  );
  configureHttp(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  if (config.docsEnabled) setUpSwagger(app);
  app.enableShutdownHooks();
  await app.init();
  return app;
}

function configureHttp(app: NestFastifyApplication) {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
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

**Auth.** \`POST /api/auth/register\` or \`POST /api/auth/login\` returns an \`access_token\`
(a JWT, 15 minutes by default) and a \`refresh_token\`. Send \`Authorization: Bearer <access_token>\`
(use "Authorize" above).

**Ownership.** Task routes are \`/api/{user_id}/tasks\` where \`{user_id}\` is your own id or \`me\`.
Another user's id is 403; a task that is not yours is 404, exactly like a missing one.

**Errors** are \`application/problem+json\` with a stable \`code\`; a 400 lists each offending field
in \`errors\`.
`.trim();
