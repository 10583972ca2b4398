import { Injectable } from '@nestjs/common';
import type { Page } from '../common/paging';
import { conflict, forbidden, notFound } from '../common/problem';
import { Sql, type SqlExecutor } from '../database/sql';
import type { Role } from '../users/user.entity';
import {
  AdminUsersRepository,
  type AdminTarget,
  type AdminUserRow,
} from './admin-users.repository';
import { AuditLogService } from './audit-log.service';
import { AdminUserResponse, ListUsersQuery } from './dto/admin.dto';

export const userNotFound = () => notFound('USER_NOT_FOUND', 'No such user.');

/**
 * Oversight of accounts. Every change runs in one transaction with its audit entry, after
 * locking the admin rows, so that the rules that keep administration reachable (no self-action,
 * never zero admins) hold even when admins act on each other at the same moment.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly sql: Sql,
    private readonly users: AdminUsersRepository,
    private readonly audit: AuditLogService,
  ) {}

  /** One page of users, each with its task count. */
  list(query: ListUsersQuery): Promise<Page<AdminUserRow>> {
    return this.users.list(query);
  }

  async get(id: string, db: SqlExecutor = this.sql): Promise<AdminUserResponse> {
    const row = await this.users.findOne(db, id);
    if (!row) throw userNotFound();
    return toAdminUserResponse(row);
  }

  changeRole(actorId: string, targetId: string, role: Role): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (tx, target, activeAdmins) => {
      if (target.role === role) return;
      if (role !== 'admin') refuseLockout(actorId, target, activeAdmins, 'demote');
      await this.users.setRole(tx, target.id, role);
      await this.recordOn(tx, actorId, target, 'user.role_changed', {
        from: target.role,
        to: role,
      });
    });
  }

  /** Ends every login of the user at once: its access tokens fail the per-request check. */
  ban(actorId: string, targetId: string, reason: string | null): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (tx, target, activeAdmins) => {
      refuseLockout(actorId, target, activeAdmins, 'ban');
      if (target.banned) return;
      const revoked = await this.users.ban(tx, target.id, reason);
      await this.recordOn(tx, actorId, target, 'user.banned', {
        reason,
        sessions_revoked: revoked,
      });
    });
  }

  /** Restores login; the logins the ban ended stay ended. */
  unban(actorId: string, targetId: string): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (tx, target) => {
      if (!target.banned) return;
      await this.users.unban(tx, target.id);
      await this.recordOn(tx, actorId, target, 'user.unbanned');
    });
  }

  /** Its tasks, logins and refresh tokens go with it; audit entries stay. */
  async remove(actorId: string, targetId: string): Promise<void> {
    await this.inAdminTransaction(actorId, targetId, async (tx, target, activeAdmins) => {
      refuseLockout(actorId, target, activeAdmins, 'delete');
      await this.users.remove(tx, target.id);
      await this.recordOn(tx, actorId, target, 'user.deleted', {
        email: target.email,
        role: target.role,
      });
    });
  }

  /** The audit entry of a change to `target`, in the change's transaction. */
  private recordOn(
    tx: SqlExecutor,
    actorId: string,
    target: AdminTarget,
    action: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(tx, {
      actorId,
      action,
      targetType: 'user',
      targetId: target.id,
      details,
    });
  }

  /** A change that answers with the user as it is afterwards (unchanged when nothing was to do). */
  private change(
    actorId: string,
    targetId: string,
    apply: (tx: SqlExecutor, target: AdminTarget, activeAdmins: string[]) => Promise<void>,
  ): Promise<AdminUserResponse> {
    return this.inAdminTransaction(actorId, targetId, async (tx, target, activeAdmins) => {
      await apply(tx, target, activeAdmins);
      return this.get(target.id, tx);
    });
  }

  /**
   * Locks every admin row (and the target's), then re-checks inside the lock that the caller is still an active
   * admin: of two admins demoting each other at once, the second finds it is no longer one.
   */
  private inAdminTransaction<T>(
    actorId: string,
    targetId: string,
    work: (tx: SqlExecutor, target: AdminTarget, activeAdmins: string[]) => Promise<T>,
  ): Promise<T> {
    return this.sql.transaction(async (tx) => {
      const locked = await this.users.lockAdminsAndTarget(tx, targetId);
      const activeAdmins = locked
        .filter((user) => user.role === 'admin' && !user.banned)
        .map((admin) => admin.id);
      if (!activeAdmins.includes(actorId)) throw forbidden('You are no longer an admin.');
      const target = locked.find((user) => user.id === targetId);
      if (!target) throw userNotFound();
      return work(tx, target, activeAdmins);
    });
  }
}

/** Administration stays reachable: never zero active admins, and no admin disarms itself. */
export function refuseLockout(
  actorId: string,
  target: AdminTarget,
  activeAdmins: string[],
  verb: string,
) {
  const targetIsActiveAdmin = target.role === 'admin' && !target.banned;
  if (targetIsActiveAdmin && activeAdmins.every((id) => id === target.id)) {
    throw conflict('LAST_ADMIN', `You cannot ${verb} the last admin.`);
  }
  if (target.id === actorId) {
    throw conflict('SELF_ACTION', `You cannot ${verb} yourself; ask another admin.`);
  }
}

export function toAdminUserResponse(row: AdminUserRow): AdminUserResponse {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    banned: row.banned,
    ban_reason: row.ban_reason,
    last_login_at: row.last_login_at ? row.last_login_at.toISOString() : null,
    task_count: row.task_count,
  };
}
