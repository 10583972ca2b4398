import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AuditEntry, AuditTargetType } from './audit-entry.entity';
import { CursorCodec, fetchPage, type Page, type PageQuery, type SortSpec } from '../common/paging';
import { AuditEntryResponse } from './dto/admin.dto';
import type { SqlExecutor } from '../database/sql';

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

@Injectable()
export class AuditLogService {
  constructor(
    @InjectRepository(AuditEntry) private readonly entries: Repository<AuditEntry>,
    private readonly cursors: CursorCodec,
  ) {}

  /** Takes the change's own transaction: the entry exists exactly when the change does. */
  async record(db: EntityManager | SqlExecutor, entry: AuditRecord): Promise<void> {
    const text = `INSERT INTO audit_log (actor_id, action, target_type, target_id, details)
       VALUES ($1, $2, $3, $4, $5)`;
    const values = [
      entry.actorId,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.details ?? {},
    ];
    // Both until every caller runs on Sql.transaction.
    await (db instanceof EntityManager ? db.query(text, values) : db.execute(text, values));
  }

  /** Newest first (keyset paging, see common/paging). */
  list(query: PageQuery): Promise<Page<AuditEntry>> {
    return fetchPage(
      this.entries.createQueryBuilder('entry'),
      {
        list: '/api/admin/audit-log',
        sort: NEWEST_FIRST,
        order: 'desc',
        limit: query.limit,
        cursor: query.cursor,
      },
      this.cursors,
    );
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
