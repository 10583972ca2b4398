import { hkdfSync } from 'node:crypto';

/**
 * A 256-bit key for one purpose, derived by HKDF-SHA256 from JWT_SECRET, so no second secret has
 * to be configured and no two purposes share a key. Changing JWT_SECRET changes every such key.
 */
export const deriveKey = (jwtSecret: string, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', jwtSecret, '', purpose, 32));
