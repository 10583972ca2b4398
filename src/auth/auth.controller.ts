import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  type ApiOperationOptions,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { UuidParam } from '../common/uuid';
import { UserResponse } from '../users/dto/user.response';
import { ApiTokenAccess } from './api-tokens/token-access';
import type { AuthUser } from './auth-user';
import { AuthService } from './auth.service';
import { Client, type ClientInfo } from './client-info';
import { LoginDto, RegisterDto, SessionResponse, UpdateMeDto } from './dto/auth.dto';
import { ChangePasswordDto, RefreshDto, SessionInfo } from './dto/session.dto';
import { LocalLoginOnly, loginOf } from './local-login';
import { Public } from './public.decorator';
import { SessionsService } from './sessions.service';
import { AuthRateLimitGuard } from './throttling/auth-rate-limit.guard';

/**
 * Register, login and refresh: no token, but the shared per-address budget (429), answered with
 * a SessionResponse (a new pair of tokens) and `status`.
 */
const IssuesSession = (status: 200 | 201, operation: ApiOperationOptions) =>
  applyDecorators(
    Public(),
    UseGuards(AuthRateLimitGuard),
    ApiProblems(429),
    HttpCode(status),
    ApiOperation(operation),
    ApiResponse({ status, type: SessionResponse }),
  );

// Security, 401 on protected routes and 400/413/415 on routes with a body come from
// finishDocument (openapi/openapi-document.ts): only what is particular to a route is here.
// An API token may only ask who it belongs to (GET me): an account's password, logins and
// profile are for its owner's own logins.
@ApiTags('Auth')
@ApiTokenAccess('none')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  @IssuesSession(201, { summary: 'Create an account and log in', operationId: 'register' })
  @ApiProblem(409, 'An account with this email already exists (EMAIL_TAKEN)')
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo): Promise<SessionResponse> {
    return this.auth.register(dto, client);
  }

  @Post('login')
  @IssuesSession(200, {
    summary: 'Log in with email and password',
    description:
      'Failed logins are throttled per email and per client address: past the limit ' +
      '(LOGIN_MAX_FAILURES_PER_EMAIL / LOGIN_MAX_FAILURES_PER_IP within LOGIN_WINDOW) the answer ' +
      'is 429 with Retry-After, even with the right password, until the window ends.',
    operationId: 'login',
  })
  @ApiProblem(
    401,
    'Unknown email or wrong password, the same answer for both (INVALID_CREDENTIALS)',
  )
  @ApiProblem(403, 'Right password, but the account is banned (ACCOUNT_BANNED)')
  login(@Body() dto: LoginDto, @Client() client: ClientInfo): Promise<SessionResponse> {
    return this.auth.login(dto, client);
  }

  @Post('refresh')
  @IssuesSession(200, {
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The refresh token rotates: every use returns a new pair. Presented again within ' +
      '`JWT_REFRESH_REUSE_GRACE` (default 10 s) of its first use, as by several tabs refreshing ' +
      'at once, it gets a fresh pair of its own on the same login; the window counts from the ' +
      'first use. Presented after that window (a replay), it ends that whole login, and every ' +
      'token of it stops working. A grace of 0 makes every token single-use.',
    operationId: 'refresh',
  })
  @LocalLoginOnly(true)
  @ApiProblem(
    401,
    'The refresh token is invalid, expired, already used past its grace (its whole login ends) or revoked (UNAUTHENTICATED)',
  )
  refresh(@Body() dto: RefreshDto): Promise<SessionResponse> {
    return this.sessions.refresh(dto.refresh_token);
  }

  @Post('logout')
  @Public()
  @LocalLoginOnly(true)
  @HttpCode(204)
  @ApiOperation({
    summary: 'End the login of a refresh token',
    description:
      'Its refresh token and its access tokens stop working at once. A refresh token still ' +
      'within its grace (just rotated by another tab) ends the login too; one used past its ' +
      'grace is a replay: 401, and the login ends all the same.',
    operationId: 'logout',
  })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiProblem(
    401,
    'The refresh token is invalid, expired, already used past its grace or revoked (UNAUTHENTICATED)',
  )
  logout(@Body() dto: RefreshDto): Promise<void> {
    return this.sessions.logout(dto.refresh_token);
  }

  @Post('password')
  @HttpCode(204)
  @LocalLoginOnly()
  @ApiOperation({
    summary: 'Change your password',
    description:
      'Every other login ends, and every access token issued before the change gets 401 ' +
      '(including the one making this call: refresh to get a new one).',
    operationId: 'changePassword',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiProblem(
    401,
    'No valid token (UNAUTHENTICATED), or current_password is wrong (INVALID_CREDENTIALS)',
  )
  @ApiProblem(429, 'Too many wrong current passwords: throttled like logins (see Retry-After)')
  changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.auth.changePassword(user, dto, client);
  }

  @Get('sessions')
  @LocalLoginOnly()
  @ApiOperation({
    summary: 'Your active logins',
    description: '`current` marks the login of the access token making this request.',
    operationId: 'listSessions',
  })
  @ApiOkResponse({ type: [SessionInfo] })
  listSessions(@CurrentUser() user: AuthUser): Promise<SessionInfo[]> {
    return this.sessions.list(user.id, loginOf(user));
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @LocalLoginOnly()
  @ApiOperation({
    summary: 'End one of your logins',
    description: "Its refresh token and access tokens stop working at once. Someone else's is 404.",
    operationId: 'revokeSession',
  })
  @ApiNoContentResponse({ description: 'Login ended' })
  // No body, so finishDocument adds no 400: this one is the path id's.
  @ApiProblems(400)
  @ApiProblem(404, 'No such login of yours (SESSION_NOT_FOUND)')
  revokeSession(@CurrentUser() user: AuthUser, @UuidParam() id: string): Promise<void> {
    return this.sessions.revoke(user.id, id);
  }

  @Get('me')
  @ApiTokenAccess('any')
  @ApiOperation({ summary: 'The current user', operationId: 'getMe' })
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: AuthUser): Promise<UserResponse> {
    return this.auth.me(user.id);
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change your display name', operationId: 'updateMe' })
  @ApiOkResponse({ type: UserResponse })
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<UserResponse> {
    return this.auth.updateMe(user.id, dto.name);
  }
}
