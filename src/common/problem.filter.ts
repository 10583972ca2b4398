import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseTrouble, errorMessage } from '../database/database-errors';
import { Problem, ProblemException } from './problem';

/** Codes for errors that do not carry their own (Nest's built-in exceptions, Fastify's). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  408: 'REQUEST_TIMEOUT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * Turns every error into `application/problem+json` with a stable `code`. Client errors say what
 * is wrong; anything unexpected is logged and answered with a generic 500 that leaks nothing.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.reply(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** Answers the request with the problem for this error (also used before a route is reached). */
  reply(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { problem, headers } = this.toProblem(exception, request);
    if (problem.status >= 500) problem.request_id = String(request.id);
    reply.status(problem.status);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.header('content-type', PROBLEM_CONTENT_TYPE);
    reply.send(problem);
  }

  toProblem(
    exception: unknown,
    request: FastifyRequest,
  ): { problem: Problem; headers: Record<string, string> } {
    // Nest wraps Fastify's own client errors (413, 415, ...) in an HttpException: answer the cause.
    if (exception instanceof HttpException && isFastifyClientError(exception.cause)) {
      exception = exception.cause;
    }
    const headers: Record<string, string> = {};
    let status: number;
    let code: string;
    let detail: string;
    let errors: Problem['errors'];
    let trouble: ReturnType<typeof databaseTrouble>;

    if (exception instanceof ProblemException) {
      status = exception.getStatus();
      code = exception.code;
      detail = exception.message;
      errors = exception.extra.errors;
      Object.assign(headers, exception.extra.headers);
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      code = CODE_BY_STATUS[status] ?? 'ERROR';
      detail = httpExceptionDetail(exception, request);
      const retryAfter = (exception.getResponse() as { retryAfter?: number })?.retryAfter;
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    } else if (isFastifyClientError(exception)) {
      status = exception.statusCode;
      code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
      detail = fastifyErrorDetail(exception);
    } else if ((trouble = databaseTrouble(exception))) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      code = 'SERVICE_UNAVAILABLE';
      detail =
        trouble === 'timed-out'
          ? 'The database took too long to answer. Retry shortly.'
          : 'The database is unavailable. Retry shortly.';
      headers['retry-after'] = trouble === 'timed-out' ? '1' : '5';
      this.logger.warn(
        { request_id: request.id, route: routeOf(request) },
        `${trouble === 'timed-out' ? 'database statement timed out' : 'database unavailable'} for ${request.method} ${routeOf(request)} (request ${request.id}): ${errorMessage(exception)}`,
      );
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      code = 'INTERNAL_ERROR';
      detail = 'An unexpected error occurred. It has been logged.';
      this.logger.error(
        // The stack, not the error object: a driver error also carries the query's parameters.
        {
          request_id: request.id,
          stack: exception instanceof Error ? exception.stack : String(exception),
        },
        `unexpected error on ${request.method} ${request.url} (request ${request.id})`,
      );
    }
    if (status === HttpStatus.UNAUTHORIZED) headers['www-authenticate'] = 'Bearer';
    if (status === HttpStatus.SERVICE_UNAVAILABLE && !headers['retry-after'])
      headers['retry-after'] = '5';
    const problem = problemOf(status, code, detail);
    if (errors) problem.errors = errors;
    return { problem, headers };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The RFC 9457 body for a status, a stable code and what went wrong. */
export function problemOf(status: number, code: string, detail: string): Problem {
  return {
    type: `https://task-api.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: statusTitle(status),
    status,
    detail,
    code,
  };
}

/** The route pattern (`/api/:user_id/tasks/:id`) when a route matched, else the path. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? request.url.split('?')[0];
}

function httpExceptionDetail(exception: HttpException, request: FastifyRequest): string {
  if (exception.getStatus() === HttpStatus.NOT_FOUND && /^Cannot \w+ /.test(exception.message)) {
    return `No route ${request.method} ${request.url.split('?')[0]}.`;
  }
  const response = exception.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = (response as { message: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return exception.message;
}

interface FastifyClientError {
  statusCode: number;
  code?: string;
  message: string;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  const statusCode = (error as FastifyClientError | undefined)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

function fastifyErrorDetail(error: FastifyClientError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than the 100 KiB limit.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'The request body must be application/json.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty but its content type is application/json.';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'A path segment is longer than 100 characters.';
    case 'FST_ERR_BAD_URL':
      return 'The URL is not validly percent-encoded.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case undefined:
      return `The request body is not valid JSON${error.message ? `: ${error.message}` : ''}.`;
    default:
      return error.message;
  }
}

function statusTitle(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}
