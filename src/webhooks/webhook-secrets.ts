import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from '../common/derived-key';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A new signing secret as Standard Webhooks writes it: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The signing secrets at rest: AES-256-GCM (iv | tag | ciphertext) under a key derived from the
 * JWT secret, so no second secret has to be configured. A secret must be recoverable to sign,
 * so it cannot be hashed like a password; a database dump alone does not reveal it. Changing
 * JWT_SECRET makes the stored secrets unreadable: the webhooks must then be made again.
 */
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(jwtSecret: string) {
    this.key = deriveKey(jwtSecret, 'task-api webhook secrets v1');
  }

  seal(secret: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
  }

  open(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
