import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Page, PageQuery } from '../common/paging';
import type { SqlExecutor } from '../database/sql';
import { AuditEntry } from './audit-entry.entity';
import { AuditLogRepository, type AuditRecord } from './audit-log.repository';
import { AuditEntryResponse } from './dto/admin.dto';

export type { AuditRecord } from './audit-log.repository';

@Injectable()
export class AuditLogService {
  constructor(private readonly entries: AuditLogRepository) {}

  /**
   * Takes the change's own transaction: the entry exists exactly when the change does.
   * The EntityManager form is transitional, for admin-tasks.service.ts until it moves to
   * Sql.transaction; remove it then.
   */
  record(tx: SqlExecutor | EntityManager, entry: AuditRecord): Promise<void> {
    return this.entries.insert(tx instanceof EntityManager ? viaManager(tx) : tx, entry);
  }

  /** Newest first. */
  list(query: PageQuery): Promise<Page<AuditEntry>> {
    return this.entries.list(query.limit, query.cursor);
  }
}

const viaManager = (manager: EntityManager): Pick<SqlExecutor, 'execute'> => ({
  execute: async (text, parameters) => {
    await manager.query(text, parameters);
    return 0;
  },
});

export function toAuditEntryResponse(entry: AuditEntry): AuditEntryResponse {
  return {
    id: entry.id,
    actor_id: entry.actorId,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    details: entry.details,
    created_at: entry.createdAt.toISOString(),
  };
}
