import { HttpStatus } from '@nestjs/common';
import { ProblemException, validationFailed } from './problem';

/**
 * What an `If-Match` header asks of a versioned row:
 * - `undefined`: no header, no precondition;
 * - `'any'`: `*`, any current version (the row must exist);
 * - a list of versions, one of which must be current. Weak tags (`W/"3"`) and tags that are not
 *   ours never match: If-Match uses strong comparison (RFC 9110 13.1.1), so they get 412.
 * A value that is not entity-tag syntax at all is a 400 naming the header.
 */
export type VersionPrecondition = undefined | 'any' | number[];

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"$/;
const MAX_VERSION = 2_147_483_647;

export function parseIfMatch(header: string | string[] | undefined): VersionPrecondition {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return 'any';
  const versions: number[] = [];
  for (const part of value.split(',').map((tag) => tag.trim())) {
    const match = ENTITY_TAG.exec(part);
    if (!match) {
      throw validationFailed([
        {
          field: 'If-Match',
          message: 'If-Match must be * or a list of entity tags like "3" (the ETag you received)',
        },
      ]);
    }
    const [, weak, opaque] = match;
    if (!weak && /^\d{1,10}$/.test(opaque) && Number(opaque) <= MAX_VERSION) {
      versions.push(Number(opaque));
    }
  }
  return versions;
}

export const preconditionFailed = (currentEtag?: string) =>
  new ProblemException(
    HttpStatus.PRECONDITION_FAILED,
    'PRECONDITION_FAILED',
    'The task has changed since you read it (If-Match does not match its ETag): get it again and retry.',
    currentEtag ? { headers: { etag: currentEtag } } : {},
  );

/**
 * Whether a GET with this `If-None-Match` gets 304 for a resource whose ETag is `etag`: `*`, or
 * one of the listed tags by weak comparison (RFC 9110 13.1.2: `W/"3"` matches `"3"`). A value
 * that is not entity-tag syntax simply does not match (the full answer is always correct).
 */
export function notModified(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return true;
  return value.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
