import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AuditEntry, AuditTargetType } from './audit-entry.entity';
import { AuditEntryResponse, PageQuery } from './dto/admin.dto';

export interface AuditRecord {
  actorId: string | null;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditLogService {
  constructor(@InjectRepository(AuditEntry) private readonly entries: Repository<AuditEntry>) {}

  /** Takes the change's own transaction: the entry exists exactly when the change does. */
  async record(db: EntityManager, entry: AuditRecord): Promise<void> {
    await db.query(
      `INSERT INTO audit_log (actor_id, action, target_type, target_id, details)
       VALUES ($1, $2, $3, $4, $5)`,
      [entry.actorId, entry.action, entry.targetType, entry.targetId, entry.details ?? {}],
    );
  }

  /** Newest first; id breaks ties between entries of the same instant. */
  async list(query: PageQuery): Promise<{ entries: AuditEntry[]; total: number }> {
    const [entries, total] = await this.entries
      .createQueryBuilder('entry')
      .orderBy('entry.createdAt', 'DESC')
      .addOrderBy('entry.id', 'DESC')
      .take(query.limit)
      .getManyAndCount();
    return { entries, total };
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
