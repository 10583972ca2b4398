import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { conflict, ProblemException, unauthenticated } from '../common/problem';
import { UserResponse, toUserResponse } from '../users/dto/user.response';
import { isUniqueViolation, UsersService } from '../users/users.service';
import { LoginDto, RegisterDto, SessionResponse } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { ClientInfo, TokensService } from './tokens.service';
import { User } from '../users/user.entity';

const invalidCredentials = () =>
  new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'INVALID_CREDENTIALS',
    'Email or password is wrong.',
  );

const accountBanned = () =>
  new ProblemException(HttpStatus.FORBIDDEN, 'ACCOUNT_BANNED', 'This account has been banned.');

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
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

  /** Unknown email and wrong password take the same time and give the same answer. */
  async login(dto: LoginDto, client: ClientInfo): Promise<SessionResponse> {
    const user = await this.users.findByEmailForLogin(dto.email);
    const passwordMatches = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !passwordMatches) throw invalidCredentials();
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
