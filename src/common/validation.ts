import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';
import { FieldError, validationFailed } from './problem';

/**
 * The one ValidationPipe: unknown fields are rejected (no mass assignment), and every
 * offending field is listed in the 400 problem.
 */
export function createValidationPipe(): ValidationPipe {
  return new BodyObjectValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}

/** A JSON body must be an object; no body at all counts as an empty one. */
class BodyObjectValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body') {
      if (value === undefined) value = {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw validationFailed([{ field: 'body', message: 'the body must be a JSON object' }]);
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = unsafeInput(value);
      if (problem) throw validationFailed([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** Deeper than any DTO goes; far below what overflows class-transformer's recursion (a 500). */
const MAX_DEPTH = 32;
/** JSON's "\ud800" escape: not storable as UTF-8, PostgreSQL would silently keep U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Keys that JSON.parse keeps as own properties but class-transformer silently drops. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Input that would otherwise slip past validation: prototype keys (dropped unseen instead of
 * rejected as unknown), NUL characters (PostgreSQL refuses them in text: a 500), lone surrogates
 * (stored as something else than answered) and absurd nesting.
 */
export function unsafeInput(value: unknown, path = '', depth = 0): FieldError | undefined {
  const field = path || 'body';
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      return { field, message: `${field} must not contain NUL characters` };
    return LONE_SURROGATE.test(value)
      ? { field, message: `${field} must be valid Unicode (it has a lone surrogate)` }
      : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return { field, message: `${field} is nested too deeply` };
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && PROTOTYPE_KEYS.has(key)) {
      return { field: childPath, message: `${key} is not a field you can set` };
    }
    const problem = unsafeInput(child, childPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

export function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = error.property
      ? parent
        ? `${parent}.${error.property}`
        : error.property
      : parent || 'body';
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      message:
        constraint === 'unknownValue'
          ? 'the body must be a JSON object'
          : fieldMessage(constraint, message, error.property),
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function fieldMessage(constraint: string, message: string, property: string): string {
  if (constraint === 'whitelistValidation') return `${property} is not a field you can set`;
  return message;
}

/** Unicode code points, as PostgreSQL's char_length counts them: an emoji is one character. */
export const codePoints = (value: string) => [...value].length;

export function CodePointLength(min: number, max: number, options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'codePointLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && codePoints(value) >= min && codePoints(value) <= max,
        defaultMessage: buildMessage(
          (each) =>
            min === 0
              ? `${each}$property must be at most $constraint2 characters`
              : `${each}$property must be $constraint1 to $constraint2 characters`,
          options,
        ),
      },
    },
    options,
  );
}

/** Trims strings; leaves anything else for the type check to reject. */
export const Trim = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time as a Date. A bare date means midnight UTC, and so does a
 * date-time without an offset. Impossible dates (Feb 30) are rejected, not rolled over.
 */
export function parseIsoDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) && value.length > 10;
  const normalized = value.length === 10 ? `${value}T00:00:00Z` : hasOffset ? value : `${value}Z`;
  const date = new Date(normalized.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) return undefined;
  // Years 1-9999 only: year 0 and an offset pushing 9999-12-31 into year 10000 have no
  // plain ISO 8601 form (toISOString gives +010000-...), and PostgreSQL reads year 0 as 1 BC.
  if (date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return undefined;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  return date;
}

export function IsIsoDateTime(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isIsoDateTime',
      validator: {
        validate: (value: unknown) => value instanceof Date,
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an ISO 8601 date or date-time, like 2026-12-01 or 2026-12-01T09:00:00Z`,
          options,
        ),
      },
    },
    options,
  );
}

/** Turns a valid ISO string into a Date; anything else stays as it is and fails IsIsoDateTime. */
export const ToDate = () =>
  Transform(({ value }) =>
    value === null || value === undefined ? value : (parseIsoDateTime(value) ?? value),
  );
