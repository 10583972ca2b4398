import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CursorCodec, fetchPage, type Condition, type Page, type SortSpec } from '../common/paging';
import { conflict, forbidden, notFound } from '../common/problem';
import { likePattern } from '../common/paging/like-pattern';
import { User, type Role } from '../users/user.entity';
import { AuditLogService } from './audit-log.service';
import { AdminUserResponse, ListUsersQuery, type UserSort } from './dto/admin.dto';

export const userNotFound = () => notFound('USER_NOT_FOUND', 'No such user.');

const ADMIN_USER_COLUMNS = `
  u.id, u.email, u.name, u.role, u.banned, u.ban_reason, u.last_login_at, u.created_at, u.updated_at,
  (SELECT count(*)::int FROM tasks t WHERE t.user_id = u.id) AS task_count`;

interface AdminUserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  banned: boolean;
  ban_reason: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  task_count: number;
}

/** A user as a mutation sees it, read under its row lock. */
interface Target {
  id: string;
  email: string;
  role: Role;
  banned: boolean;
}

const byId = { sql: 'u.id' };

/** The users list's sorts; each ends with the id so paging is stable. */
export const USER_SORT_SPECS: Record<UserSort, SortSpec> = {
  created: { name: 'created', keys: [{ sql: 'u.created_at' }, byId] },
  email: { name: 'email', keys: [{ sql: 'u.email' }, byId] },
  // Users who never logged in sort last in both orders, like tasks without a due date.
  last_login: { name: 'last_login', keys: [{ sql: 'u.last_login_at', nullable: true }, byId] },
};

/** The users list filters as SQL conditions over the alias `u`. */
export function userFilters(query: Partial<ListUsersQuery>): Condition[] {
  const conditions: Condition[] = [];
  if (query.q) {
    conditions.push({
      sql: `(u.email ILIKE :q ESCAPE '\\' OR u.name ILIKE :q ESCAPE '\\')`,
      params: { q: likePattern(query.q) },
    });
  }
  if (query.role) conditions.push({ sql: 'u.role = :role', params: { role: query.role } });
  if (query.status)
    conditions.push({ sql: query.status === 'banned' ? 'u.banned' : 'NOT u.banned' });
  return conditions;
}

/**
 * Oversight of accounts. Every change runs in one transaction with its audit entry, after
 * locking the admin rows, so that the rules that keep administration reachable (no self-action,
 * never zero admins) hold even when admins act on each other at the same moment.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLogService,
    private readonly cursors: CursorCodec,
  ) {}

  /** One page of users (keyset paging, see common/paging), each with its task count. */
  async list(query: ListUsersQuery): Promise<Page<AdminUserResponse>> {
    const builder = this.dataSource.createQueryBuilder(User, 'u');
    for (const condition of userFilters(query)) builder.andWhere(condition.sql, condition.params);
    const page = await fetchPage(
      builder,
      {
        list: '/api/admin/users',
        sort: USER_SORT_SPECS[query.sort],
        order: query.order,
        limit: query.limit,
        cursor: query.cursor,
      },
      this.cursors,
    );
    const counts = await this.taskCounts(page.items.map((user) => user.id));
    return {
      ...page,
      items: page.items.map((user) =>
        toAdminUserResponse({
          id: user.id,
          email: user.email,
          name: user.name,
          role: user.role,
          banned: user.banned,
          ban_reason: user.banReason,
          last_login_at: user.lastLoginAt,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
          task_count: counts.get(user.id) ?? 0,
        }),
      ),
    };
  }

  private async taskCounts(userIds: string[]): Promise<Map<string, number>> {
    if (!userIds.length) return new Map();
    const rows: { user_id: string; n: number }[] = await this.dataSource.query(
      `SELECT user_id, count(*)::int AS n FROM tasks WHERE user_id = ANY($1) GROUP BY user_id`,
      [userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row.n]));
  }

  async get(id: string, db: EntityManager = this.dataSource.manager): Promise<AdminUserResponse> {
    const [row]: AdminUserRow[] = await db.query(
      `SELECT ${ADMIN_USER_COLUMNS} FROM users u WHERE u.id = $1`,
      [id],
    );
    if (!row) throw userNotFound();
    return toAdminUserResponse(row);
  }

  changeRole(actorId: string, targetId: string, role: Role): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (db, target, activeAdmins) => {
      if (target.role === role) return;
      if (role !== 'admin') refuseLockout(actorId, target, activeAdmins, 'demote');
      await db.query(`UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, [
        target.id,
        role,
      ]);
      await this.audit.record(db, {
        actorId,
        action: 'user.role_changed',
        targetType: 'user',
        targetId: target.id,
        details: { from: target.role, to: role },
      });
    });
  }

  /** Ends every login of the user at once: its access tokens fail the per-request check. */
  ban(actorId: string, targetId: string, reason: string | null): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (db, target, activeAdmins) => {
      refuseLockout(actorId, target, activeAdmins, 'ban');
      if (target.banned) return;
      await db.query(
        `UPDATE users SET banned = true, ban_reason = $2, banned_at = now(), updated_at = now()
          WHERE id = $1`,
        [target.id, reason],
      );
      const [, revoked] = await db.query(
        `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
        [target.id],
      );
      await this.audit.record(db, {
        actorId,
        action: 'user.banned',
        targetType: 'user',
        targetId: target.id,
        details: { reason, sessions_revoked: revoked },
      });
    });
  }

  /** Restores login; the logins the ban ended stay ended. */
  unban(actorId: string, targetId: string): Promise<AdminUserResponse> {
    return this.change(actorId, targetId, async (db, target) => {
      if (!target.banned) return;
      await db.query(
        `UPDATE users SET banned = false, ban_reason = NULL, banned_at = NULL, updated_at = now()
          WHERE id = $1`,
        [target.id],
      );
      await this.audit.record(db, {
        actorId,
        action: 'user.unbanned',
        targetType: 'user',
        targetId: target.id,
      });
    });
  }

  /** Its tasks, logins and refresh tokens go by ON DELETE CASCADE; audit entries stay. */
  async remove(actorId: string, targetId: string): Promise<void> {
    await this.inAdminTransaction(actorId, targetId, async (db, target, activeAdmins) => {
      refuseLockout(actorId, target, activeAdmins, 'delete');
      await db.query(`DELETE FROM users WHERE id = $1`, [target.id]);
      await this.audit.record(db, {
        actorId,
        action: 'user.deleted',
        targetType: 'user',
        targetId: target.id,
        details: { email: target.email, role: target.role },
      });
    });
  }

  /** A change that answers with the user as it is afterwards (unchanged when nothing was to do). */
  private change(
    actorId: string,
    targetId: string,
    apply: (db: EntityManager, target: Target, activeAdmins: string[]) => Promise<void>,
  ): Promise<AdminUserResponse> {
    return this.inAdminTransaction(actorId, targetId, async (db, target, activeAdmins) => {
      await apply(db, target, activeAdmins);
      return this.get(target.id, db);
    });
  }

  /**
   * Locks every admin row (in id order, so concurrent changes queue instead of deadlocking),
   * then re-checks inside the lock that the caller is still an active admin: of two admins
   * demoting each other at once, the second finds it is no longer one.
   */
  private inAdminTransaction<T>(
    actorId: string,
    targetId: string,
    work: (db: EntityManager, target: Target, activeAdmins: string[]) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (db) => {
      const admins: { id: string; banned: boolean }[] = await db.query(
        `SELECT id, banned FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE`,
      );
      const activeAdmins = admins.filter((admin) => !admin.banned).map((admin) => admin.id);
      if (!activeAdmins.includes(actorId)) throw forbidden('You are no longer an admin.');
      const [target]: Target[] = await db.query(
        `SELECT id, email, role, banned FROM users WHERE id = $1 FOR UPDATE`,
        [targetId],
      );
      if (!target) throw userNotFound();
      return work(db, target, activeAdmins);
    });
  }
}

/** Administration stays reachable: never zero active admins, and no admin disarms itself. */
export function refuseLockout(
  actorId: string,
  target: Target,
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
