import { Injectable } from '@nestjs/common';
import type { Page, PageQuery } from '../common/paging';
import { AuditEntry } from './audit-entry.entity';
import { AuditLogRepository, type AuditRecord } from './audit-log.repository';
import { AuditEntryResponse } from './dto/admin.dto';
import type { SqlExecutor } from '../database/sql';

export type { AuditRecord } from './audit-log.repository';

@Injectable()
export class AuditLogService {
  constructor(private readonly entries: AuditLogRepository) {}

  /** Takes the change's own transaction: the entry exists exactly when the change does. */
  record(tx: SqlExecutor, entry: AuditRecord): Promise<void> {
    return this.entries.insert(tx, entry);
  }

  /** Newest first. */
  list(query: PageQuery): Promise<Page<AuditEntry>> {
    return this.entries.list(query.limit, query.cursor);
  }
}

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
