import { Injectable } from '@nestjs/common';
import { fetchSqlPage, Pager, type Page, type RawRow, type SortSpec } from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';
import { AuditEntry, type AuditTargetType } from './audit-entry.entity';

export interface AuditRecord {
  actorId: string | null;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  details?: Record<string, unknown>;
}

/** id breaks ties between entries of the same instant (one transaction can write several). */
const NEWEST_FIRST: SortSpec = {
  name: 'created',
  keys: [{ sql: 'entry.created_at' }, { sql: 'entry.id' }],
};

const AUDIT_COLUMNS =
  'entry.id, entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.details, entry.created_at';

export function auditEntryFromRow(row: RawRow): AuditEntry {
  const entry = new AuditEntry();
  entry.id = row.id as string;
  entry.actorId = row.actor_id as string | null;
  entry.action = row.action as string;
  entry.targetType = row.target_type as AuditTargetType;
  entry.targetId = row.target_id as string;
  entry.details = row.details as Record<string, unknown>;
  entry.createdAt = row.created_at as Date;
  return entry;
}

@Injectable()
export class AuditLogRepository {
  constructor(
    private readonly sql: Sql,
    private readonly pager: Pager,
  ) {}

  /** On the change's own transaction: the entry exists exactly when the change does. */
  async insert(tx: Pick<SqlExecutor, 'execute'>, entry: AuditRecord): Promise<void> {
    await tx.execute(
      `INSERT INTO audit_log (actor_id, action, target_type, target_id, details)
       VALUES ($1, $2, $3, $4, $5)`,
      [entry.actorId, entry.action, entry.targetType, entry.targetId, entry.details ?? {}],
    );
  }

  /** Newest first (keyset paging, see common/paging). */
  list(limit: number, cursor: string | undefined): Promise<Page<AuditEntry>> {
    return fetchSqlPage(
      { select: AUDIT_COLUMNS, from: 'audit_log entry', where: [] },
      { list: '/api/admin/audit-log', sort: NEWEST_FIRST, order: 'desc', limit, cursor },
      this.pager,
      this.sql,
      auditEntryFromRow,
    );
  }
}
