import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../../database/sql';
import type { Role } from '../../users/user.entity';

/** The local account an external subject speaks for. */
export interface LinkedUser {
  id: string;
  role: Role;
  banned: boolean;
}

/** Every query of `external_identities`, and the account a first token makes. */
@Injectable()
export class ExternalIdentitiesRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The per-request query of an external token: the link by its primary key (issuer, subject)
   * joined to the user by its primary key. Nothing when the subject has no account (yet, or any
   * more: deleting the user deleted the link).
   */
  findLinked(
    issuer: string,
    subject: string,
    db: SqlExecutor = this.sql,
  ): Promise<LinkedUser | undefined> {
    return db.one<LinkedUser>(
      `SELECT u.id, u.role, u.banned FROM external_identities e JOIN users u ON u.id = e.user_id
        WHERE e.issuer = $1 AND e.subject = $2`,
      [issuer, subject],
    );
  }

  /**
   * Holds a transaction-scoped advisory lock on the subject: concurrent first requests of one
   * subject make its account one after the other, and all but the first find the link.
   */
  async lockSubject(tx: SqlExecutor, issuer: string, subject: string): Promise<void> {
    await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      JSON.stringify([issuer, subject]),
    ]);
  }

  /**
   * A new account without a password (its Inbox comes from the users_default_list trigger), or
   * nothing when the email is taken: the unique index on lower(email) waits for a concurrent
   * sign-up of the same email to commit or roll back before it answers.
   */
  createUser(
    tx: SqlExecutor,
    fields: { email: string; name: string | null; role: Role },
  ): Promise<LinkedUser | undefined> {
    return tx.one<LinkedUser>(
      `INSERT INTO users (email, password_hash, name, role) VALUES ($1, NULL, $2, $3)
       ON CONFLICT DO NOTHING
       RETURNING id, role, banned`,
      [fields.email, fields.name, fields.role],
    );
  }

  /** `email` is already trimmed and lower-cased. */
  findUserByEmail(tx: SqlExecutor, email: string): Promise<LinkedUser | undefined> {
    return tx.one<LinkedUser>(`SELECT id, role, banned FROM users WHERE lower(email) = $1`, [
      email,
    ]);
  }

  async link(tx: SqlExecutor, issuer: string, subject: string, userId: string): Promise<void> {
    await tx.execute(
      `INSERT INTO external_identities (issuer, subject, user_id) VALUES ($1, $2, $3)`,
      [issuer, subject, userId],
    );
  }
}
