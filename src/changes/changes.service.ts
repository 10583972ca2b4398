import { HttpStatus, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CursorCodec } from '../common/paging';
import { ProblemException, validationFailed } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Sql, type SqlExecutor } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { toListResponse } from '../lists/lists.controller';
import { ListsRepository } from '../lists/lists.repository';
import { toTaskResponse } from '../tasks/task.mapper';
import { TasksRepository } from '../tasks/tasks.repository';
import type { ChangeResponse, ChangesResponse } from './dto/changes.dto';
import { ChangesRepository, type ChangedEntity } from './changes.repository';

/**
 * Where a client is in the feed, as its `since` carries it (signed, bound to the owner):
 * - `delta`: it has every change up to `seq`;
 * - `snapshot`: it is reading the full snapshot taken at `seq`, and has every object up to
 *   (`afterType`, `afterId`) in the snapshot's order (lists, then tasks, each by id).
 */
type Position =
  | { kind: 'delta'; seq: number }
  | { kind: 'snapshot'; seq: number; afterType: ChangedEntity | null; afterId: string | null };

const sinceExpired = () =>
  new ProblemException(
    HttpStatus.GONE,
    'SYNC_EXPIRED',
    'This since is older than the change feed remembers (CHANGES_RETENTION): start again with a full snapshot (no since).',
  );

const badSince = () =>
  validationFailed([
    {
      field: 'since',
      message:
        'since is not a next_since this API gave you (altered, malformed, or another user’s): pass it unchanged, or start again without since',
    },
  ]);

/**
 * The change feed for clients that keep a copy: a full snapshot, then deltas from the change log
 * (migration 1764200000000 explains why its numbers never skip a late commit). Each answer is
 * read in one REPEATABLE READ snapshot, so the objects it sends are the state at its
 * `next_since`, and a client that applies every page in order has exactly the server's state.
 * The `changes.purge` job forgets changes older than CHANGES_RETENTION.
 */
@Injectable()
export class ChangesService implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly changes: ChangesRepository,
    private readonly tasks: TasksRepository,
    private readonly lists: ListsRepository,
    private readonly codec: CursorCodec,
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.jobs.define('changes.purge', '5 * * * *', () =>
      this.changes.purgeExpired(this.config.changesRetentionSeconds),
    );
  }

  feed(ownerId: string, since: string | undefined, limit: number): Promise<ChangesResponse> {
    const position = since === undefined ? undefined : this.decode(ownerId, since);
    return this.sql.transaction(
      async (tx) => {
        const counter = await this.changes.counter(tx, ownerId);
        if (position && (position.seq < counter.purgedSeq || position.seq > counter.seq))
          throw sinceExpired();
        return position?.kind === 'delta'
          ? this.delta(tx, ownerId, position.seq, limit)
          : this.snapshot(
              tx,
              ownerId,
              position ?? { kind: 'snapshot', seq: counter.seq, afterType: null, afterId: null },
              limit,
            );
      },
      { isolation: 'repeatable read' },
    );
  }

  private async delta(
    tx: SqlExecutor,
    ownerId: string,
    since: number,
    limit: number,
  ): Promise<ChangesResponse> {
    const latest = await this.changes.latestSince(tx, ownerId, since, limit + 1);
    const page = latest.slice(0, limit);
    const ids = (entity: ChangedEntity) =>
      page.filter((c) => c.entity === entity && c.op === 'upsert').map((c) => c.entityId);
    const [taskIds, listIds] = [ids('task'), ids('list')];
    // A quiet poll (the common case) reads nothing more.
    const [tasks, lists] = await Promise.all([
      taskIds.length ? this.tasks.findMany(tx, ownerId, taskIds) : [],
      listIds.length ? this.lists.findMany(tx, ownerId, listIds) : [],
    ]);
    const data = new Map<string, ChangeResponse['data']>([
      ...tasks.map((task) => [task.id, toTaskResponse(task)] as const),
      ...lists.map((list) => [list.id, toListResponse(list)] as const),
    ]);
    // An upsert whose object is gone in this snapshot cannot happen (its delete would be a later
    // change of the same snapshot); were it to, a delete is the truth.
    const changes = page.map(({ entity, entityId }): ChangeResponse => {
      const now = data.get(entityId) ?? null;
      return { type: entity, id: entityId, op: now ? 'upsert' : 'delete', data: now };
    });
    const seq = page.length > 0 ? page[page.length - 1].seq : since;
    return {
      changes,
      next_since: this.encode(ownerId, { kind: 'delta', seq }),
      has_more: latest.length > limit,
    };
  }

  private async snapshot(
    tx: SqlExecutor,
    ownerId: string,
    at: Extract<Position, { kind: 'snapshot' }>,
    limit: number,
  ): Promise<ChangesResponse> {
    const changes: ChangeResponse[] = [];
    if (at.afterType !== 'task') {
      const lists = await this.lists.snapshotPage(tx, ownerId, at.afterId, limit + 1);
      for (const list of lists)
        changes.push({ type: 'list', id: list.id, op: 'upsert', data: toListResponse(list) });
    }
    if (changes.length <= limit) {
      const after = at.afterType === 'task' ? at.afterId : null;
      const tasks = await this.tasks.snapshotPage(tx, ownerId, after, limit + 1 - changes.length);
      for (const task of tasks)
        changes.push({ type: 'task', id: task.id, op: 'upsert', data: toTaskResponse(task) });
    }
    const hasMore = changes.length > limit;
    const page = changes.slice(0, limit);
    const last = page[page.length - 1];
    const next: Position = hasMore
      ? { kind: 'snapshot', seq: at.seq, afterType: last.type, afterId: last.id }
      : { kind: 'delta', seq: at.seq };
    return { changes: page, next_since: this.encode(ownerId, next), has_more: hasMore };
  }

  private encode(ownerId: string, position: Position): string {
    return this.codec.encode(
      `/api/${ownerId}/changes`,
      position.kind === 'delta'
        ? ['delta', String(position.seq), null, null]
        : ['snapshot', String(position.seq), position.afterType, position.afterId],
    );
  }

  private decode(ownerId: string, since: string): Position {
    let values: (string | null)[];
    try {
      values = this.codec.decode(`/api/${ownerId}/changes`, since, 4);
    } catch {
      throw badSince();
    }
    const [kind, seqText, afterType, afterId] = values;
    const seq = Number(seqText);
    if (!Number.isSafeInteger(seq) || seq < 0) throw badSince();
    if (kind === 'delta') return { kind, seq };
    if (kind === 'snapshot' && (afterType === 'task' || afterType === 'list'))
      return { kind, seq, afterType, afterId };
    throw badSince();
  }
}
