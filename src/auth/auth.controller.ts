import { Body, Controller, Get, HttpCode, Patch, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { UserResponse } from '../users/dto/user.response';
import type { AuthUser } from './auth-user';
import { AuthService } from './auth.service';
import { LoginDto, RegisterDto, SessionResponse, UpdateMeDto } from './dto/auth.dto';
import { Public } from './public.decorator';
import { ClientInfo } from './tokens.service';

const clientInfo = (request: FastifyRequest): ClientInfo => ({
  userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
  ip: request.ip ?? null,
});

@ApiTags('Auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create an account and log in', operationId: 'register' })
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiProblems(400, 409, 413, 415)
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest): Promise<SessionResponse> {
    return this.auth.register(dto, clientInfo(request));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password', operationId: 'login' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiProblems(400, 401, 403, 429)
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<SessionResponse> {
    return this.auth.login(dto, clientInfo(request));
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The current user', operationId: 'getMe' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(401)
  me(@CurrentUser() user: AuthUser): Promise<UserResponse> {
    return this.auth.me(user.id);
  }

  @Patch('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your display name', operationId: 'updateMe' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(400, 401)
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<UserResponse> {
    return this.auth.updateMe(user.id, dto.name);
  }
}
