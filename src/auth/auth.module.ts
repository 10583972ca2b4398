import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { UsersModule } from '../users/users.module';
import { ApiTokenScopeGuard } from './api-tokens/api-token-scope.guard';
import { ApiTokensModule } from './api-tokens/api-tokens.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { ExternalAuthModule } from './external/external-auth.module';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { PasswordHasher } from './password-hasher';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { ThrottlingModule } from './throttling/throttling.module';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    UsersModule,
    PassportModule,
    ThrottlingModule,
    ApiTokensModule,
    ExternalAuthModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    TokensService,
    SessionsService,
    SessionsRepository,
    PasswordHasher,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    // After JwtAuthGuard (global guards run in this order): it reads the caller that one resolved.
    { provide: APP_GUARD, useClass: ApiTokenScopeGuard },
  ],
  exports: [PasswordHasher],
})
export class AuthModule {}
