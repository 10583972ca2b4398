import { HttpStatus, Injectable } from '@nestjs/common';
import { conflict, ProblemException, unauthenticated } from '../common/problem';
import { Sql } from '../database/sql';
import { UserResponse, toUserResponse } from '../users/dto/user.response';
import type { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import type { AuthUser } from './auth-user';
import type { ClientInfo } from './client-info';
import { LoginDto, RegisterDto, SessionResponse } from './dto/auth.dto';
import { loginOf } from './local-login';
import { ChangePasswordDto } from './dto/session.dto';
import { PasswordHasher } from './password-hasher';
import { SessionsRepository } from './sessions.repository';
import { LoginThrottle } from './throttling/login-throttle';
import { TokensService } from './tokens.service';

const invalidCredentials = (detail = 'Email or password is wrong.') =>
  new ProblemException(HttpStatus.UNAUTHORIZED, 'INVALID_CREDENTIALS', detail);

const accountBanned = () =>
  new ProblemException(HttpStatus.FORBIDDEN, 'ACCOUNT_BANNED', 'This account has been banned.');

@Injectable()
export class AuthService {
  constructor(
    private readonly sql: Sql,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottle,
  ) {}

  /** The account, its first login and its first token pair, in one transaction. */
  async register(dto: RegisterDto, client: ClientInfo): Promise<SessionResponse> {
    const passwordHash = await this.hasher.hash(dto.password);
    return this.sql.transaction(async (tx) => {
      const user = await this.users.create(tx, {
        email: dto.email,
        passwordHash,
        name: dto.name ?? null,
      });
      if (!user) throw conflict('EMAIL_TAKEN', 'An account with this email already exists.');
      return this.tokens.startSession(tx, user, client);
    });
  }

  /**
   * Unknown email and wrong password take the same time and give the same answer. Throttled per
   * email and per client address before the password is even checked (see LoginThrottle).
   */
  async login(dto: LoginDto, client: ClientInfo): Promise<SessionResponse> {
    await this.throttle.attempt(dto.email, client.ip);
    const user = await this.users.findByEmailWithPassword(dto.email);
    const passwordMatches = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !passwordMatches) throw invalidCredentials();
    await this.throttle.succeeded(dto.email, client.ip);
    if (user.banned) throw accountBanned();
    return this.sql.transaction(async (tx) => {
      await this.users.recordLogin(tx, user.id);
      return this.tokens.startSession(tx, user, client);
    });
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
    const login = loginOf(caller);
    const user = await this.users.findByIdWithPassword(caller.id);
    if (!user) throw unauthenticated();
    await this.throttle.attempt(user.email, client.ip);
    if (!(await this.hasher.verify(user.passwordHash, dto.current_password))) {
      throw invalidCredentials('The current password is wrong.');
    }
    await this.throttle.succeeded(user.email, client.ip);
    const passwordHash = await this.hasher.hash(dto.new_password);
    await this.sql.transaction(async (tx) => {
      await this.users.changePassword(tx, user.id, passwordHash);
      await this.sessions.revokeOthers(tx, user.id, login);
    });
  }

  async me(userId: string): Promise<UserResponse> {
    return this.responseOf(await this.users.findById(userId));
  }

  async updateMe(userId: string, name: string): Promise<UserResponse> {
    return this.responseOf(await this.users.updateName(userId, name));
  }

  /** The caller's own account; gone (deleted by an admin meanwhile) is a 401 like a bad token. */
  private responseOf(user: User | undefined): UserResponse {
    if (!user) throw unauthenticated();
    return toUserResponse(user);
  }
}
