import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblem, ApiProblems } from '../../common/api-problems.decorator';
import { CurrentUser } from '../../common/current-user.decorator';
import { UuidParam } from '../../common/uuid';
import type { AuthUser } from '../auth-user';
import { MAX_API_TOKENS, ApiTokensService } from './api-tokens.service';
import type { ApiTokenRecord } from './api-tokens.repository';
import { ApiTokenResponse, CreatedApiTokenResponse, CreateApiTokenDto } from './dto/api-token.dto';
import { ApiTokenAccess } from './token-access';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

const toApiTokenResponse = (token: ApiTokenRecord): ApiTokenResponse => ({
  id: token.id,
  name: token.name,
  scopes: token.scopes,
  created_at: token.createdAt.toISOString(),
  expires_at: iso(token.expiresAt),
  last_used_at: iso(token.lastUsedAt),
});

/**
 * The caller's API tokens. Managing them takes a login (or an external issuer's token), never an
 * API token: a token cannot mint, list or revoke tokens.
 */
@ApiTags('Auth')
@ApiTokenAccess('none')
@Controller('api/auth/tokens')
export class ApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an API token (for scripts and integrators)',
    description:
      'The answer carries the `token`, shown only here. Send it as `Authorization: Bearer tap_...`: ' +
      'it can call what its `scopes` allow, until it expires or is deleted, whatever happens to ' +
      'your password or logins meanwhile.',
    operationId: 'createApiToken',
  })
  @ApiCreatedResponse({ type: CreatedApiTokenResponse })
  @ApiProblem(
    409,
    `You have ${MAX_API_TOKENS} API tokens already, expired ones included: delete one (LIMIT_REACHED)`,
  )
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateApiTokenDto,
  ): Promise<CreatedApiTokenResponse> {
    const { record, token } = await this.tokens.create(user.id, dto);
    return { ...toApiTokenResponse(record), token };
  }

  @Get()
  @ApiOperation({
    summary: 'Your API tokens, newest first',
    description: `All of them (at most ${MAX_API_TOKENS}), expired ones included; never the token itself.`,
    operationId: 'listApiTokens',
  })
  @ApiOkResponse({ type: [ApiTokenResponse] })
  async list(@CurrentUser() user: AuthUser): Promise<ApiTokenResponse[]> {
    return (await this.tokens.list(user.id)).map(toApiTokenResponse);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete (revoke) one of your API tokens',
    description: "It stops working at once. Someone else's is 404.",
    operationId: 'deleteApiToken',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  // No body, so finishDocument adds no 400: this one is the path id's.
  @ApiProblems(400)
  @ApiProblem(404, 'No such API token of yours (API_TOKEN_NOT_FOUND)')
  async delete(@CurrentUser() user: AuthUser, @UuidParam() id: string): Promise<void> {
    await this.tokens.delete(user.id, id);
  }
}
