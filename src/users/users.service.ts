import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Sql } from '../database/sql';
import { User } from './user.entity';

export const isUniqueViolation = (error: unknown) =>
  (error as { driverError?: { code?: string } })?.driverError?.code === '23505';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly sql: Sql,
  ) {}

  /**
   * The per-request check behind every access token, one primary-key read of the user joined to
   * its login: the user still exists and is not banned, the token is not older than the user's
   * last password change, and its login has not been revoked (logout, session end, ban).
   */
  async findTokenHolder(
    id: string,
    sessionId: string,
    tokenVersion: number,
  ): Promise<Pick<User, 'id' | 'role'> | null> {
    const rows = await this.sql.rows<Pick<User, 'id' | 'role'>>(
      `SELECT u.id, u.role FROM users u
         JOIN sessions s ON s.id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL
        WHERE u.id = $1 AND NOT u.banned AND u.token_version = $3`,
      [id, sessionId, tokenVersion],
    );
    return rows[0] ?? null;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** With the password hash, for login. */
  findByEmailForLogin(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('lower(user.email) = lower(:email)', { email })
      .getOne();
  }

  /** Throws a unique violation (see isUniqueViolation) when the email is taken. */
  create(fields: Pick<User, 'email' | 'passwordHash' | 'name'>): Promise<User> {
    return this.users.save(this.users.create(fields));
  }

  async updateName(id: string, name: string): Promise<User | null> {
    await this.users.update({ id }, { name });
    return this.findById(id);
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()', updatedAt: () => 'updated_at' });
  }
}
