import { Injectable } from '@nestjs/common';
import { conflict, notFound, unauthenticated } from '../../common/problem';
import { Sql } from '../../database/sql';
import { UsersRepository } from '../../users/users.repository';
import type { ApiTokenCaller } from '../auth-user';
import { ApiTokenHasher, isApiTokenShaped, newApiToken } from './api-token-hasher';
import { ApiTokensRepository, type ApiTokenRecord } from './api-tokens.repository';
import type { CreateApiTokenDto } from './dto/api-token.dto';
import { API_SCOPES } from './token-access';

export const MAX_API_TOKENS = 50;

/**
 * A user's API tokens: at most 50 (expired ones count until deleted), each made here, shown once
 * and stored as its hash; and the check of a presented token on every request made with one.
 */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly sql: Sql,
    private readonly tokens: ApiTokensRepository,
    private readonly hasher: ApiTokenHasher,
    private readonly users: UsersRepository,
  ) {}

  /**
   * The caller a presented token speaks for: one query (ApiTokensRepository.findHolder), so a
   * deleted or expired token, or a banned or deleted user, is refused on the very next request.
   */
  async authenticate(token: string): Promise<ApiTokenCaller> {
    if (!isApiTokenShaped(token)) throw unauthenticated();
    const holder = await this.tokens.findHolder(this.hasher.hash(token));
    if (!holder) throw unauthenticated();
    return {
      id: holder.user_id,
      role: holder.role,
      credential: 'api_token',
      tokenId: holder.token_id,
      scopes: holder.scopes,
    };
  }

  /**
   * The count and the insert under the owner's row lock, so concurrent creates cannot pass the
   * limit together.
   */
  async create(
    ownerId: string,
    dto: CreateApiTokenDto,
  ): Promise<{ record: ApiTokenRecord; token: string }> {
    const token = newApiToken();
    const record = await this.sql.transaction(async (tx) => {
      const held = await this.users.lockAndCount(tx, ownerId, 'api_tokens');
      if (held === undefined) throw unauthenticated();
      if (held >= MAX_API_TOKENS)
        throw conflict(
          'LIMIT_REACHED',
          `You have ${MAX_API_TOKENS} API tokens, the most there can be: delete one first.`,
        );
      return this.tokens.insert(tx, ownerId, {
        name: dto.name,
        // One order, whatever order they came in.
        scopes: API_SCOPES.filter((scope) => dto.scopes.includes(scope)),
        tokenHash: this.hasher.hash(token),
        expiresInDays: dto.expires_in_days ?? null,
      });
    });
    return { record, token };
  }

  list(ownerId: string): Promise<ApiTokenRecord[]> {
    return this.tokens.list(ownerId);
  }

  /** Someone else's token is a 404, exactly like a missing one. */
  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.tokens.delete(ownerId, id)))
      throw notFound('API_TOKEN_NOT_FOUND', 'No such API token.');
  }
}
