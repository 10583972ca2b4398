import { Module } from '@nestjs/common';
import { AuditLogRepository } from '../../admin/audit-log.repository';
import { ExternalAuthService } from './external-auth.service';
import { ExternalIdentitiesRepository } from './external-identities.repository';

/** Tokens of an external issuer (AUTH_JWKS_URL): used by the global JwtAuthGuard. */
@Module({
  providers: [
    ExternalAuthService,
    ExternalIdentitiesRepository,
    // The admin made at a first sign-in gets its audit entry, in the same transaction.
    AuditLogRepository,
  ],
  exports: [ExternalAuthService],
})
export class ExternalAuthModule {}
