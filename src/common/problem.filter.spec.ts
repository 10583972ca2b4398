import {
  ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  HttpException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ProblemException, validationFailed } from './problem';
import { ProblemFilter } from './problem.filter';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Runs the filter on one error as if it had happened during `GET /api/me/tasks?limit=5`. */
function answer(error: unknown, method = 'GET', url = '/api/me/tasks?limit=5'): Answer {
  const result: Answer = { status: 0, headers: {}, body: {} };
  const reply = {
    status(code: number) {
      result.status = code;
      return reply;
    },
    header(name: string, value: string) {
      result.headers[name.toLowerCase()] = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      result.body = body;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({
      getRequest: () => ({ id: 'req-42', method, url }),
      getResponse: () => reply,
    }),
  } as unknown as ArgumentsHost;
  new ProblemFilter().catch(error, host);
  return result;
}

/** The problem shape of any answer; with `exactly`, its whole body: these fields and no others. */
function expectProblemShape(
  result: Answer,
  status: number,
  code: string,
  exactly?: { title: string; detail: string } & Record<string, unknown>,
) {
  expect(result.status).toBe(status);
  expect(result.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const type = `https://task-api.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
  if (exactly) {
    expect(result.body).toEqual({ type, status, code, ...exactly });
    return;
  }
  expect(result.body).toMatchObject({
    type,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
}

describe('ProblemFilter', () => {
  let logError: jest.SpyInstance;
  let logWarn: jest.SpyInstance;
  beforeEach(() => {
    logError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logWarn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('ProblemException', () => {
    it('keeps its status, code, detail and headers', () => {
      const result = answer(
        new ProblemException(409, 'EMAIL_TAKEN', 'That email is taken.', {
          headers: { 'x-extra': 'yes' },
        }),
      );
      expectProblemShape(result, 409, 'EMAIL_TAKEN', {
        title: 'Conflict',
        detail: 'That email is taken.',
      });
      expect(result.headers['x-extra']).toBe('yes');
    });

    it('carries the field errors of a validation failure', () => {
      const result = answer(
        validationFailed([
          { field: 'title', message: 'title must be 1 to 200 characters' },
          { field: 'tags', message: 'tags must contain no more than 20 elements' },
        ]),
      );
      expectProblemShape(result, 400, 'VALIDATION_FAILED');
      expect(result.body.title).toBe('Bad Request');
      expect(result.body.detail).toBe('Invalid request: check title, tags.');
      expect(result.body.errors).toEqual([
        { field: 'title', message: 'title must be 1 to 200 characters' },
        { field: 'tags', message: 'tags must contain no more than 20 elements' },
      ]);
    });

    it('adds WWW-Authenticate: Bearer to a 401', () => {
      const result = answer(new ProblemException(401, 'INVALID_CREDENTIALS', 'Wrong.'));
      expectProblemShape(result, 401, 'INVALID_CREDENTIALS');
      expect(result.headers['www-authenticate']).toBe('Bearer');
    });

    it('adds no WWW-Authenticate to other statuses, and no request_id below 500', () => {
      const result = answer(new ProblemException(403, 'FORBIDDEN', 'No.'));
      expect(result.headers['www-authenticate']).toBeUndefined();
      expect(result.body.request_id).toBeUndefined();
    });
  });

  describe("Nest's HttpExceptions", () => {
    it('get a code from their status', () => {
      expectProblemShape(answer(new ForbiddenException('Nope')), 403, 'FORBIDDEN');
      expectProblemShape(answer(new HttpException('Gone', 410)), 410, 'ERROR');
      expect(answer(new ForbiddenException('Nope')).body.detail).toBe('Nope');
    });

    it('a router 404 names the method and path, without the query', () => {
      const result = answer(
        new NotFoundException('Cannot GET /nowhere?x=1'),
        'GET',
        '/nowhere?x=1',
      );
      expectProblemShape(result, 404, 'NOT_FOUND');
      expect(result.body.detail).toBe('No route GET /nowhere.');
    });

    it('joins a list of messages into the detail', () => {
      const result = answer(new BadRequestException(['first is wrong', 'second is wrong']));
      expectProblemShape(result, 400, 'BAD_REQUEST');
      expect(result.body.detail).toBe('first is wrong; second is wrong');
    });

    it('an UnauthorizedException is UNAUTHENTICATED with WWW-Authenticate: Bearer', () => {
      const result = answer(new UnauthorizedException());
      expectProblemShape(result, 401, 'UNAUTHENTICATED');
      expect(result.headers['www-authenticate']).toBe('Bearer');
    });

    it('passes on a retryAfter as Retry-After', () => {
      const result = answer(new HttpException({ message: 'Slow down', retryAfter: 30 }, 429));
      expectProblemShape(result, 429, 'TOO_MANY_REQUESTS');
      expect(result.headers['retry-after']).toBe('30');
    });
  });

  describe("Fastify's client errors", () => {
    const fastifyError = (statusCode: number, code: string, message: string) =>
      Object.assign(new Error(message), { statusCode, code });

    it.each([
      [413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'PAYLOAD_TOO_LARGE', /100 KiB/],
      [415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
      [400, 'FST_ERR_CTP_EMPTY_JSON_BODY', 'BAD_REQUEST', /empty/],
      [400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'BAD_REQUEST', /not valid JSON/],
    ])('%i %s -> %s', (statusCode, fastifyCode, code, detail) => {
      const result = answer(fastifyError(statusCode, fastifyCode, 'fastify says so'));
      expectProblemShape(result, statusCode, code);
      expect(result.body.detail).toMatch(detail);
      expect(logError).not.toHaveBeenCalled();
    });

    it('says what is wrong when Nest has wrapped them in an HttpException', () => {
      const wrap = (statusCode: number, code: string) =>
        new HttpException('Nest says so', statusCode, {
          cause: fastifyError(statusCode, code, 'fastify says so'),
        });
      const tooLarge = answer(wrap(413, 'FST_ERR_CTP_BODY_TOO_LARGE'));
      expectProblemShape(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
      expect(tooLarge.body.detail).toBe('The request body is larger than the 100 KiB limit.');
      const mediaType = answer(wrap(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE'));
      expectProblemShape(mediaType, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(mediaType.body.detail).toBe('The request body must be application/json.');
    });

    it('413 is titled Payload Too Large', () => {
      const result = answer(fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'too large'));
      expect(result.body.title).toBe('Payload Too Large');
    });
  });

  describe('database unavailable: 503 SERVICE_UNAVAILABLE with Retry-After', () => {
    const queryFailed = (code: string, message: string) =>
      new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));

    it.each([
      ['the server shutting down (57P01)', queryFailed('57P01', 'terminating connection')],
      ['too many connections (53300)', queryFailed('53300', 'too many clients')],
      [
        'a refused connection',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ],
      ['a dropped connection', new Error('Connection terminated unexpectedly')],
      ['a pool timeout', new Error('timeout exceeded when trying to connect')],
      [
        'a wrapped cause',
        Object.assign(new Error('failed'), { cause: { code: '08006', message: 'gone' } }),
      ],
    ])('%s', (_, error) => {
      const result = answer(error);
      expectProblemShape(result, 503, 'SERVICE_UNAVAILABLE');
      expect(result.body.title).toBe('Service Unavailable');
      expect(result.headers['retry-after']).toBe('5');
      expect(result.body.request_id).toBe('req-42');
      expect(JSON.stringify(result.body)).not.toMatch(/SELECT|5432|terminat|clients/);
      expect(logWarn).toHaveBeenCalledWith(
        { request_id: 'req-42', route: '/api/me/tasks' },
        expect.stringContaining('req-42'),
      );
    });

    it.each([
      [
        'statement_timeout (57014)',
        queryFailed('57014', 'canceling statement due to statement timeout'),
      ],
      ["node-postgres's query_timeout", new Error('Query read timeout')],
    ])('a statement cut off by %s: 503, Retry-After, logged as a timeout', (_, error) => {
      const result = answer(error);
      expectProblemShape(result, 503, 'SERVICE_UNAVAILABLE');
      expect(result.headers['retry-after']).toBe('1');
      expect(JSON.stringify(result.body)).not.toMatch(/SELECT|canceling|statement/);
      expect(logWarn).toHaveBeenCalledWith(
        { request_id: 'req-42', route: '/api/me/tasks' },
        expect.stringContaining('statement timed out for GET /api/me/tasks'),
      );
    });
  });

  describe('unknown errors: a generic 500 that leaks nothing', () => {
    it.each([
      ['an Error', new Error('password_hash column of SELECT * FROM users blew up')],
      [
        'a constraint violation',
        new QueryFailedError(
          'INSERT INTO tasks (title) VALUES ($1)',
          ['secret'],
          Object.assign(new Error('new row violates check constraint "tasks_title_check"'), {
            code: '23514',
          }),
        ),
      ],
      ['a thrown string', 'SELECT secret'],
      ['undefined', undefined],
      ['a 5xx with a statusCode', Object.assign(new Error('inner detail'), { statusCode: 502 })],
    ])('%s', (_, error) => {
      const result = answer(error);
      expectProblemShape(result, 500, 'INTERNAL_ERROR', {
        title: 'Internal Server Error',
        detail: 'An unexpected error occurred. It has been logged.',
        request_id: 'req-42',
      });
      expect(result.headers['retry-after']).toBeUndefined();
      expect(logError).toHaveBeenCalledWith(
        { request_id: 'req-42', stack: expect.any(String) },
        expect.stringContaining('req-42'),
      );
    });
  });
});
