/**
 * How a database error is told apart from a bad request: the signs (SQLSTATEs, node-postgres and
 * network error codes, driver messages) that the database, not the request, is the problem.
 * The ProblemFilter answers these with 503 and Retry-After instead of a 500.
 */

/** Connection lost or refused, server shutting down, too many connections, no such database. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '3D000',
  // idle_in_transaction_session_timeout ended the session.
  '25P03',
]);
const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
// "not currently accepting connections" (55000) is what a database closed with
// ALLOW_CONNECTIONS false answers on connect; 55000 alone also names other, query-level states.
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|is not currently accepting connections/i;

/** statement_timeout cut the statement off (57014), or node-postgres's own query_timeout did. */
const TIMED_OUT_SQLSTATE = '57014';
const TIMED_OUT_MESSAGE = /^Query read timeout$/;

export type DatabaseTrouble = 'unavailable' | 'timed-out';

/** Whether (and how) an error means the database could not serve the request. */
export function databaseTrouble(error: unknown): DatabaseTrouble | undefined {
  const candidates = [
    error,
    (error as { driverError?: unknown })?.driverError,
    (error as { cause?: unknown })?.cause,
  ];
  let trouble: DatabaseTrouble | undefined;
  for (const candidate of candidates) {
    if (!candidate || typeof candidate !== 'object') continue;
    const code = (candidate as { code?: unknown }).code;
    const message = errorMessage(candidate);
    if (code === TIMED_OUT_SQLSTATE || TIMED_OUT_MESSAGE.test(message)) return 'timed-out';
    if (
      (typeof code === 'string' &&
        (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NETWORK_CODES.has(code))) ||
      UNAVAILABLE_MESSAGES.test(message)
    )
      trouble = 'unavailable';
  }
  return trouble;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error
    ? error.message
    : String((error as { message?: unknown })?.message ?? error);
}

/** A unique index (named) refused the row: the database decided a race or a duplicate. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const candidate = error as { code?: unknown; constraint?: unknown } | undefined;
  return candidate?.code === '23505' && candidate.constraint === constraint;
}
