import { Injectable } from '@nestjs/common';
import {
  fetchSqlPage,
  Pager,
  type Condition,
  type Page,
  type RawRow,
  type SortSpec,
} from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';
import { likePattern } from '../common/paging/like-pattern';
import type { Role } from '../users/user.entity';
import type { UserRow } from '../users/users.repository';
import type { ListUsersQuery, UserSort } from './dto/admin.dto';

/** A user as the admin routes show it: the account and the number of tasks it owns. */
export type AdminUserRow = Omit<UserRow, 'banned_at' | 'token_version'> & { task_count: number };

/** A user as a change sees it, read under its row lock. */
export type AdminTarget = Pick<UserRow, 'id' | 'email' | 'role' | 'banned'>;

const USER_COLUMNS =
  'u.id, u.email, u.name, u.role, u.banned, u.ban_reason, u.last_login_at, u.created_at, u.updated_at';
/** The user's counter, kept by the triggers of migration 1764600000000. */
const TASK_COUNT = '(SELECT c.tasks FROM user_task_counts c WHERE c.user_id = u.id) AS task_count';
const ADMIN_USER_COLUMNS = `${USER_COLUMNS}, ${TASK_COUNT}`;

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

const asAdminUser = (row: RawRow) => row as unknown as AdminUserRow;

/** Every query of the admin user routes and of the bootstrap admin. */
@Injectable()
export class AdminUsersRepository {
  constructor(
    private readonly sql: Sql,
    private readonly pager: Pager,
  ) {}

  /** One page of users with their task counts (keyset paging, see common/paging). */
  list(query: ListUsersQuery): Promise<Page<AdminUserRow>> {
    return fetchSqlPage(
      {
        select: USER_COLUMNS,
        computed: TASK_COUNT,
        from: 'users u',
        where: [],
        filters: userFilters(query),
      },
      {
        list: '/api/admin/users',
        sort: USER_SORT_SPECS[query.sort],
        order: query.order,
        limit: query.limit,
        cursor: query.cursor,
      },
      this.pager,
      this.sql,
      asAdminUser,
    );
  }

  findOne(db: SqlExecutor, id: string): Promise<AdminUserRow | undefined> {
    return db.one<AdminUserRow>(`SELECT ${ADMIN_USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  }

  /**
   * Every admin row and the target's, locked by one statement in id order. One statement
   * matters: under READ COMMITTED a row that stopped matching while we waited for it stays
   * locked though not returned, so locking the target in a second statement could take its lock
   * out of id order and deadlock against a change that waits on a row we hold.
   */
  lockAdminsAndTarget(tx: SqlExecutor, targetId: string): Promise<AdminTarget[]> {
    return tx.rows(
      `SELECT id, email, role, banned FROM users
        WHERE role = 'admin' OR id = $1 ORDER BY id FOR UPDATE`,
      [targetId],
    );
  }

  async setRole(tx: SqlExecutor, id: string, role: Role): Promise<void> {
    await tx.execute(`UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, [id, role]);
  }

  /** Bans the user and ends its logins; returns how many logins were still open. */
  async ban(tx: SqlExecutor, id: string, reason: string | null): Promise<number> {
    await tx.execute(
      `UPDATE users SET banned = true, ban_reason = $2, banned_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, reason],
    );
    return tx.execute(
      `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
      [id],
    );
  }

  async unban(tx: SqlExecutor, id: string): Promise<void> {
    await tx.execute(
      `UPDATE users SET banned = false, ban_reason = NULL, banned_at = NULL, updated_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  /** Its tasks, logins and refresh tokens go by ON DELETE CASCADE; audit entries stay. */
  async remove(tx: SqlExecutor, id: string): Promise<void> {
    await tx.execute(`DELETE FROM users WHERE id = $1`, [id]);
  }

  /** Holds a transaction-scoped advisory lock: instances starting together go one at a time. */
  async lockBootstrap(tx: SqlExecutor, lock: number): Promise<void> {
    await tx.execute('SELECT pg_advisory_xact_lock($1)', [lock]);
  }

  /** `email` is already lower-case (the configuration normalizes it). */
  findByEmail(tx: SqlExecutor, email: string): Promise<{ id: string; role: Role } | undefined> {
    return tx.one(`SELECT id, role FROM users WHERE lower(email) = $1`, [email]);
  }

  async insertAdmin(tx: SqlExecutor, email: string, passwordHash: string): Promise<string> {
    const row = await tx.one<{ id: string }>(
      `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin') RETURNING id`,
      [email, passwordHash],
    );
    return row!.id;
  }
}
