import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationFailed } from '../problem';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';

/** A position in a sorted list: the sort keys of the last row served, as PostgreSQL text. */
export type CursorValues = (string | null)[];

const MAX_CURSOR_LENGTH = 2048;
const CURSOR_FORMAT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;
const MAC_BYTES = 16;

const badCursor = (message: string) => validationFailed([{ field: 'cursor', message }]);

/**
 * Opaque, tamper-evident paging cursors: base64url(JSON) + "." + a truncated HMAC-SHA256.
 * The MAC covers the list, sort and order the cursor was issued for (`scope`, built by keyset.ts:
 * "/api/<owner id>/tasks|tasks:due_date:asc"), so a cursor edited by hand, or replayed on another
 * list, sort or order, is a 400, never a wrong page.
 * The key is derived from the JWT secret so that no new secret has to be configured.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('task-api paging cursor v1').digest();
  }

  encode(scope: string, values: CursorValues): string {
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
    return `${payload}.${this.mac(scope, payload)}`;
  }

  /** The values of a cursor issued for `scope` with `size` keys; else a 400 naming `cursor`. */
  decode(scope: string, cursor: string, size: number): CursorValues {
    if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_FORMAT.test(cursor)) {
      throw badCursor('cursor is malformed: pass the cursor of a rel="next" link unchanged');
    }
    const [payload, mac] = cursor.split('.');
    const expected = Buffer.from(this.mac(scope, payload));
    if (!timingSafeEqual(Buffer.from(mac), expected)) {
      throw badCursor(
        'cursor is not valid for this list and sort (altered, or issued for another sort or order)',
      );
    }
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      values = undefined;
    }
    const wellFormed =
      Array.isArray(values) &&
      values.length === size &&
      values.every((value) => value === null || typeof value === 'string');
    // Only a change of the sort definitions (a new release) gets here with a valid MAC.
    if (!wellFormed) throw badCursor('cursor is out of date: start again from the first page');
    return values as CursorValues;
  }

  private mac(scope: string, payload: string): string {
    return createHmac('sha256', this.key)
      .update(`${scope}\n${payload}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}

/** The CursorCodec keyed by the configured JWT secret (provided once, by PagingModule). */
export const cursorCodecProvider = {
  provide: CursorCodec,
  useFactory: (config: AppConfig) => new CursorCodec(config.jwtSecret),
  inject: [APP_CONFIG],
};
