import { Injectable } from '@nestjs/common';
import { Sql, type SqlExecutor } from '../database/sql';

export type ChangedEntity = 'task' | 'list';

/** The latest change of one object since a point of the feed. */
export interface LatestChange {
  entity: ChangedEntity;
  entityId: string;
  op: 'upsert' | 'delete';
  seq: number;
}

/** Change rows the purge deletes per statement. */
const PURGE_BATCH = 5000;

/**
 * The change log's queries (the log is written by the database itself: migration 1764200000000).
 * `seq` is the owner's change number, in commit order; bigint arrives as a string and is turned
 * into a number here (2^53 changes per user is far beyond any retention).
 */
@Injectable()
export class ChangesRepository {
  constructor(private readonly sql: Sql) {}

  /** The owner's newest change number and the newest one purged (0 and 0 before any change). */
  async counter(db: SqlExecutor, ownerId: string): Promise<{ seq: number; purgedSeq: number }> {
    const row = await db.one<{ seq: string | null; purged_seq: string | null }>(
      `SELECT (SELECT max(seq) FROM changes WHERE user_id = $1) AS seq,
              (SELECT purged_seq FROM change_counters WHERE user_id = $1) AS purged_seq`,
      [ownerId],
    );
    return { seq: Number(row?.seq ?? 0), purgedSeq: Number(row?.purged_seq ?? 0) };
  }

  /**
   * The objects changed after `since`, each once with its latest change, in the order of those
   * latest changes; at most `limit`. An object whose latest change is beyond the last one
   * returned comes in a later page, so cutting the list anywhere loses nothing.
   */
  async latestSince(
    db: SqlExecutor,
    ownerId: string,
    since: number,
    limit: number,
  ): Promise<LatestChange[]> {
    const rows = await db.rows<{
      entity: ChangedEntity;
      entity_id: string;
      op: LatestChange['op'];
      seq: string;
    }>(
      `SELECT entity, entity_id, op, seq FROM (
         SELECT DISTINCT ON (entity, entity_id) entity, entity_id, op, seq FROM changes
          WHERE user_id = $1 AND seq > $2 ORDER BY entity, entity_id, seq DESC) latest
        ORDER BY seq LIMIT $3`,
      [ownerId, since, limit],
    );
    return rows.map((row) => ({
      entity: row.entity,
      entityId: row.entity_id,
      op: row.op,
      seq: Number(row.seq),
    }));
  }

  /**
   * Forgets changes older than `retentionSeconds`, recording per owner the newest number
   * forgotten: a `since` before it could miss a deletion, so it is answered 410. Each owner's
   * newest change stays whatever its age: the next change is numbered from it.
   */
  async purgeExpired(retentionSeconds: number): Promise<number> {
    let total = 0;
    for (;;) {
      const row = await this.sql.one<{ n: number }>(
        `WITH gone AS (
           DELETE FROM changes WHERE (user_id, seq) IN (
             SELECT c.user_id, c.seq FROM changes c
              WHERE c.created_at < now() - make_interval(secs => $1)
                AND c.seq < (SELECT max(seq) FROM changes newest WHERE newest.user_id = c.user_id)
              LIMIT $2)
           RETURNING user_id, seq),
         newest AS (SELECT user_id, max(seq) AS seq FROM gone GROUP BY user_id),
         marked AS (
           UPDATE change_counters c SET purged_seq = GREATEST(c.purged_seq, newest.seq)
             FROM newest WHERE c.user_id = newest.user_id)
         SELECT count(*)::int AS n FROM gone`,
        [retentionSeconds, PURGE_BATCH],
      );
      total += row!.n;
      if (row!.n < PURGE_BATCH) return total;
    }
  }
}
