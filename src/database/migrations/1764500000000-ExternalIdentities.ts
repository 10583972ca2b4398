import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17: accounts of an external issuer (AUTH_JWKS_URL, bring your own sign-in).
 *
 * - `external_identities`: the issuer's (`iss`, `sub`) of a token, linked to the local user it
 *   speaks for. One link per subject (the primary key); a user may have several (a local account
 *   linked by its verified email, an issuer that moved). Deleting the user deletes its links, so
 *   the subject's next token makes a new account.
 * - `users.password_hash` becomes nullable: an account made from an issuer's token has no
 *   password here (its login by email fails like a wrong password). Reverting fails while such
 *   an account exists, rather than invent a password for it or delete it.
 */
export class ExternalIdentities1764500000000 implements MigrationInterface {
  name = 'ExternalIdentities1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE external_identities (
        issuer text NOT NULL,
        subject text NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (issuer, subject)
      )`);
    // The cascade from users finds a user's links by this index, not by a scan.
    await db.query(`CREATE INDEX external_identities_user_idx ON external_identities (user_id)`);
    await db.query(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL`);
    await db.query(`DROP TABLE external_identities`);
  }
}
