import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PasswordHasher } from '../auth/password-hasher';
import { ConfigError, type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AuditLogService } from './audit-log.service';

/** Any fixed number: instances starting together on one database bootstrap one at a time. */
const BOOTSTRAP_LOCK = 727_412;

/**
 * The first admin comes from configuration: at start-up (after the migrations), the ADMIN_EMAIL
 * account is made an admin, created with ADMIN_PASSWORD when it does not exist yet. Idempotent:
 * a second start-up changes nothing (an existing account keeps its password).
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditLogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail: email, adminPassword: password } = this.config;
    if (!email) return;
    await this.dataSource.transaction(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const [existing]: { id: string; role: string }[] = await db.query(
        `SELECT id, role FROM users WHERE lower(email) = $1`,
        [email],
      );
      if (existing?.role === 'admin') return;
      if (existing) {
        await db.query(`UPDATE users SET role = 'admin', updated_at = now() WHERE id = $1`, [
          existing.id,
        ]);
      } else if (!password) {
        throw new ConfigError(
          'ADMIN_PASSWORD',
          `is required to create the bootstrap admin: ADMIN_EMAIL ${email} has no account yet`,
        );
      }
      const id =
        existing?.id ??
        (
          await db.query<{ id: string }[]>(
            `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin') RETURNING id`,
            [email, await this.hasher.hash(password!)],
          )
        )[0].id;
      await this.audit.record(db, {
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
