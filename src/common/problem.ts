import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem: what every error response of the API looks like. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  request_id?: string;
}

/** An error with a stable `code`, answered as `application/problem+json`. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail, status);
  }
}

export const validationFailed = (errors: FieldError[]) =>
  new ProblemException(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', describe(errors), { errors });

export const unauthenticated = (detail = 'A valid bearer token is required.') =>
  new ProblemException(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', detail);

export const forbidden = (detail: string) =>
  new ProblemException(HttpStatus.FORBIDDEN, 'FORBIDDEN', detail);

/** An API token calling a route outside its scopes, or one no API token may call. */
export const insufficientScope = (detail: string) =>
  new ProblemException(HttpStatus.FORBIDDEN, 'INSUFFICIENT_SCOPE', detail);

export const notFound = (code: string, detail: string) =>
  new ProblemException(HttpStatus.NOT_FOUND, code, detail);

export const conflict = (code: string, detail: string) =>
  new ProblemException(HttpStatus.CONFLICT, code, detail);

function describe(errors: FieldError[]): string {
  const fields = [...new Set(errors.map((error) => error.field))];
  return `Invalid request: check ${fields.join(', ')}.`;
}
