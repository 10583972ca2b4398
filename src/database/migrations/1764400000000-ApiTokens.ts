import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17: API tokens, long-lived bearer tokens of a user for scripts and integrators.
 *
 * - Only a keyed hash of the token is stored (HMAC-SHA256, auth/api-tokens/api-token-hasher.ts):
 *   the token is 32 random bytes, so a fast hash is enough, and the key (from JWT_SECRET) means a
 *   database dump alone cannot even confirm a guessed token.
 * - `api_tokens_hash_key` (the UNIQUE constraint) serves the lookup behind every request made with
 *   a token; `api_tokens_user_idx` the owner's list (newest first), its limit count and the
 *   cascade when the user is deleted.
 * - `scopes` is a non-empty subset of the three scopes; the API also keeps it free of duplicates
 *   and in one order.
 */
export class ApiTokens1764400000000 implements MigrationInterface {
  name = 'ApiTokens1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        scopes text[] NOT NULL CHECK (
          cardinality(scopes) > 0
          AND scopes <@ ARRAY['tasks:read', 'tasks:write', 'admin']::text[]),
        token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
      )`);
    await db.query(`CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_tokens`);
  }
}
