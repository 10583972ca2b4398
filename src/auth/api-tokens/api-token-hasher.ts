import { createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '../../common/derived-key';

export const API_TOKEN_PREFIX = 'tap_';

/** `tap_` and the base64url of 32 random bytes (43 characters, no padding). */
const API_TOKEN_FORMAT = /^tap_[A-Za-z0-9_-]{43}$/;

/** A new API token: shown to its owner once, stored only as its hash. */
export const newApiToken = () => `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

/** `Bearer tap_...` (the scheme in any case, as RFC 9110 has it): the API token it carries. */
const API_TOKEN_BEARER = /^bearer +(tap_\S*) *$/i;

/**
 * The API token an Authorization header presents, or undefined when it presents anything else
 * (a JWT, which takes the passport path). A regular expression anchored at the start: it gives
 * up at the eighth character of a JWT, so the API's own tokens pay next to nothing for it.
 */
export function presentedApiToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : API_TOKEN_BEARER.exec(authorization)?.[1];
}

/** Whether the string can be an API token at all (else it is refused without a lookup). */
export const isApiTokenShaped = (token: string) => API_TOKEN_FORMAT.test(token);

/**
 * An API token as stored: HMAC-SHA256 under a key derived from JWT_SECRET, as WebhookSecrets
 * derives its key (one configured secret). The token carries 256 random bits, so a fast hash is
 * right (a slow password hash would only cost CPU on every request); the key means a database
 * dump alone cannot confirm a guessed token. Changing JWT_SECRET voids every API token.
 *
 * The lookup is by this hash in the database, so no secret is ever compared in JavaScript: the
 * index walk an attacker could time depends on a keyed hash it cannot steer.
 */
export class ApiTokenHasher {
  private readonly key: Buffer;

  constructor(jwtSecret: string) {
    this.key = deriveKey(jwtSecret, 'task-api api tokens v1');
  }

  hash(token: string): Buffer {
    return createHmac('sha256', this.key).update(token, 'utf8').digest();
  }
}
