import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PasswordHasher } from '../auth/password-hasher';
import { ConfigError, type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Sql } from '../database/sql';
import { AdminUsersRepository } from './admin-users.repository';
import { AuditLogService } from './audit-log.service';

/** Any fixed number: instances starting together on one database bootstrap one at a time. */
const BOOTSTRAP_LOCK = 727_412;

/**
 * The first admin comes from configuration: at start-up (after the migrations), the ADMIN_EMAIL
 * account is made an admin, created with ADMIN_PASSWORD when it does not exist yet. Idempotent:
 * a second start-up changes nothing (an existing account keeps its password). With an external
 * issuer and no ADMIN_PASSWORD, an account that does not exist yet is left to the issuer: its
 * first token with that email makes it, as an admin (ExternalAuthService).
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sql: Sql,
    private readonly users: AdminUsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditLogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail: email, adminPassword: password } = this.config;
    if (!email) return;
    await this.sql.transaction(async (tx) => {
      await this.users.lockBootstrap(tx, BOOTSTRAP_LOCK);
      const existing = await this.users.findByEmail(tx, email);
      if (existing?.role === 'admin') return;
      if (existing) {
        await this.users.setRole(tx, existing.id, 'admin');
      } else if (!password && this.config.externalAuth) {
        // ExternalAuthService makes it, as an admin, from the issuer's first token of that email.
        this.logger.log(
          `${email} has no account yet: it becomes the bootstrap admin at its first sign-in ` +
            'through the external issuer',
        );
        return;
      } else if (!password) {
        throw new ConfigError(
          'ADMIN_PASSWORD',
          `is required to create the bootstrap admin: ADMIN_EMAIL ${email} has no account yet`,
        );
      }
      const id =
        existing?.id ??
        (await this.users.insertAdmin(tx, email, await this.hasher.hash(password!)));
      await this.audit.record(tx, {
        actorId: null,
        action: 'user.bootstrap_admin',
        targetType: 'user',
        targetId: id,
        details: existing ? { created: false, from: existing.role } : { created: true },
      });
      this.logger.log(`${email} ${existing ? 'promoted to' : 'created as'} the bootstrap admin`);
    });
  }
}
