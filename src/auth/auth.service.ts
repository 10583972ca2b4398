import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { conflict, ProblemException, unauthenticated } from '../common/problem';
import { UserResponse, toUserResponse } from '../users/dto/user.response';
import { isUniqueViolation, UsersService } from '../users/users.service';
import { LoginDto, RegisterDto, SessionResponse } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { ClientInfo, TokensService } from './tokens.service';
import { User } from '../users/user.entity';
import type { AuthUser } from './auth-user';
import { ChangePasswordDto } from './dto/session.dto';
import { SessionsService } from './sessions.service';
import { LoginThrottle } from './throttling/login-throttle';

const invalidCredentials = (detail = 'Email or password is wrong.') =>
  new ProblemException(HttpStatus.UNAUTHORIZED, 'INVALID_CREDENTIALS', detail);

const accountBanned = () =>
  new ProblemException(HttpStatus.FORBIDDEN, 'ACCOUNT_BANNED', 'This account has been banned.');

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<SessionResponse> {
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.dataSource.transaction(async (db) => {
        const user = await db.save(
          db.create(User, { email: dto.email, passwordHash, name: dto.name ?? null }),
        );
        return this.tokens.startSession(db, user, client);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict('EMAIL_TAKEN', 'An account with this email already exists.');
      throw error;
    }
  }

  /**
   * Unknown email and wrong password take the same time and give the same answer. Throttled per
   * email and per client address before the password is even checked (see LoginThrottle).
   */
  async login(dto: LoginDto, client: ClientInfo): Promise<SessionResponse> {
    await this.throttle.attempt(dto.email, client.ip);
    const user = await this.users.findByEmailForLogin(dto.email);
    const passwordMatches = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !passwordMatches) throw invalidCredentials();
    await this.throttle.succeeded(dto.email, client.ip);
    if (user.banned) throw accountBanned();
    const session = await this.dataSource.transaction(async (db) => {
      await db.update(
        User,
        { id: user.id },
        { lastLoginAt: () => 'now()', updatedAt: () => 'updated_at' },
      );
      return this.tokens.startSession(db, user, client);
    });
    return session;
  }

  /**
   * Checks the current password (throttled like a login, so a stolen access token cannot be used
   * to guess it), then voids every access token issued before (token_version) and ends every
   * other login. The caller's own login survives: its refresh token gets a fresh access token.
   */
  async changePassword(
    caller: AuthUser,
    dto: ChangePasswordDto,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id: caller.id })
      .getOne();
    if (!user) throw unauthenticated();
    await this.throttle.attempt(user.email, client.ip);
    if (!(await this.hasher.verify(user.passwordHash, dto.current_password))) {
      throw invalidCredentials('The current password is wrong.');
    }
    await this.throttle.succeeded(user.email, client.ip);
    const passwordHash = await this.hasher.hash(dto.new_password);
    await this.dataSource.transaction(async (db) => {
      await db.query(
        `UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now()
          WHERE id = $1`,
        [user.id, passwordHash],
      );
      await this.sessions.revokeOthers(db, user.id, caller.sessionId);
    });
  }

  async me(userId: string): Promise<UserResponse> {
    const user = await this.users.findById(userId);
    if (!user) throw unauthenticated();
    return toUserResponse(user);
  }

  async updateMe(userId: string, name: string): Promise<UserResponse> {
    const user = await this.users.updateName(userId, name);
    if (!user) throw unauthenticated();
    return toUserResponse(user);
  }
}
