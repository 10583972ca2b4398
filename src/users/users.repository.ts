import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../database/sql';
import { User, type Role } from './user.entity';

/** A row of `users` as pg returns it (already Date, number, boolean), without the hash. */
export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  banned: boolean;
  ban_reason: string | null;
  banned_at: Date | null;
  last_login_at: Date | null;
  token_version: number;
  created_at: Date;
  updated_at: Date;
}

/** Every column of a UserRow: the hash is read only where a password is checked. */
const USER_COLUMNS =
  'id, email, name, role, banned, ban_reason, banned_at, last_login_at, token_version, created_at, updated_at';

const WITH_PASSWORD_HASH = `${USER_COLUMNS}, password_hash`;

const userFromRow = (row: UserRow & { password_hash?: string }): User =>
  Object.assign(new User(), {
    id: row.id,
    email: row.email,
    ...(row.password_hash === undefined ? {} : { passwordHash: row.password_hash }),
    name: row.name,
    role: row.role,
    banned: row.banned,
    banReason: row.ban_reason,
    bannedAt: row.banned_at,
    lastLoginAt: row.last_login_at,
    tokenVersion: row.token_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

const userOrUndefined = (row: UserRow | undefined) => (row ? userFromRow(row) : undefined);

/** Who a valid access token speaks for. */
export type TokenHolder = Pick<User, 'id' | 'role'>;

/** Every query of the `users` table outside administration. */
@Injectable()
export class UsersRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The per-request check behind every access token, one primary-key read of the user joined to
   * its login: the user still exists and is not banned, the token is not older than the user's
   * last password change, and its login has not been revoked (logout, session end, ban).
   */
  async findTokenHolder(
    id: string,
    sessionId: string,
    tokenVersion: number,
  ): Promise<TokenHolder | undefined> {
    const rows = await this.sql.rows<TokenHolder>(
      `SELECT u.id, u.role FROM users u
         JOIN sessions s ON s.id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL
        WHERE u.id = $1 AND NOT u.banned AND u.token_version = $3`,
      [id, sessionId, tokenVersion],
    );
    return rows[0];
  }

  /**
   * For a per-user limit (webhooks, API tokens): the owner's row locked, so concurrent creates
   * count one after the other, then how many rows of `table` the owner has; undefined when the
   * user is gone. Two statements: the count must be read once the lock is granted, with a
   * snapshot that sees the insert of the transaction it waited for.
   */
  async lockAndCount(
    db: SqlExecutor,
    ownerId: string,
    table: 'webhooks' | 'api_tokens',
  ): Promise<number | undefined> {
    const locked = await db.rows(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [ownerId]);
    if (locked.length === 0) return undefined;
    const row = await db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`,
      [ownerId],
    );
    return row!.n;
  }

  async findById(id: string, db: SqlExecutor = this.sql): Promise<User | undefined> {
    return userOrUndefined(
      await db.one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]),
    );
  }

  /** With the password hash: for a login. */
  async findByEmailWithPassword(email: string): Promise<User | undefined> {
    return userOrUndefined(
      await this.sql.one<UserRow>(
        `SELECT ${WITH_PASSWORD_HASH} FROM users WHERE lower(email) = lower($1)`,
        [email],
      ),
    );
  }

  /** With the password hash: for a password change. */
  async findByIdWithPassword(id: string): Promise<User | undefined> {
    return userOrUndefined(
      await this.sql.one<UserRow>(`SELECT ${WITH_PASSWORD_HASH} FROM users WHERE id = $1`, [id]),
    );
  }

  /** The new user, or undefined when the email is taken (the unique index on lower(email)). */
  async create(
    db: SqlExecutor,
    fields: Pick<User, 'email' | 'passwordHash' | 'name'>,
  ): Promise<User | undefined> {
    return userOrUndefined(
      await db.one<UserRow>(
        `INSERT INTO users (email, password_hash, name) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING
         RETURNING ${USER_COLUMNS}`,
        [fields.email, fields.passwordHash, fields.name],
      ),
    );
  }

  /** A login is not a change to the account: `updated_at` stays. */
  async recordLogin(db: SqlExecutor, id: string): Promise<void> {
    await db.execute(`UPDATE users SET last_login_at = now() WHERE id = $1`, [id]);
  }

  /** The new hash, and every access token issued before voided (token_version). */
  async changePassword(db: SqlExecutor, id: string, passwordHash: string): Promise<void> {
    await db.execute(
      `UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now()
        WHERE id = $1`,
      [id, passwordHash],
    );
  }

  async updateName(id: string, name: string): Promise<User | undefined> {
    return userOrUndefined(
      await this.sql.one<UserRow>(
        `UPDATE users SET name = $2, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, name],
      ),
    );
  }
}
