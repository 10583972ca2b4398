import { Injectable } from '@nestjs/common';
import { fetchSqlPage, Pager, type Page, type RawRow, type SortSpec } from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';
import { Task } from './task.entity';
import { TASK_COLUMNS, taskFromRow, type Placement, type TaskRow } from './tasks.repository';

/** A task in the trash: when it went, and the task whose deletion took it there. */
export interface TrashedTask extends Task {
  deletedAt: Date;
  trashedWith: string;
}

const TRASHED_COLUMNS = `${TASK_COLUMNS}, deleted_at, trashed_with`;

const trashedFromRow = (row: RawRow): TrashedTask =>
  Object.assign(taskFromRow(row), {
    deletedAt: row.deleted_at as Date,
    trashedWith: row.trashed_with as string,
  });

const NEWEST_DELETED_FIRST: SortSpec = {
  name: 'trash:deleted',
  keys: [{ sql: 'task.deleted_at' }, { sql: 'task.id' }],
};

/** Rows the purge deletes per statement: short transactions, however much has expired. */
const PURGE_BATCH = 1000;

/**
 * The trash's queries: the only ones, with the move to the trash in TasksRepository and
 * ListsRepository, that name the table `task_rows` rather than the view of live tasks.
 */
@Injectable()
export class TrashRepository {
  constructor(
    private readonly sql: Sql,
    private readonly pager: Pager,
  ) {}

  page(ownerId: string, request: { limit: number; cursor?: string }): Promise<Page<TrashedTask>> {
    return fetchSqlPage(
      {
        select: TRASHED_COLUMNS.replace(/\w+/g, (column) => `task.${column}`),
        from: 'task_rows task',
        where: [
          { sql: 'task.user_id = :ownerId AND task.deleted_at IS NOT NULL', params: { ownerId } },
        ],
      },
      { list: `/api/${ownerId}/trash`, sort: NEWEST_DELETED_FIRST, order: 'desc', ...request },
      this.pager,
      this.sql,
      trashedFromRow,
    );
  }

  async find(db: SqlExecutor, ownerId: string, id: string): Promise<TrashedTask | undefined> {
    const row = await db.one<RawRow>(
      `SELECT ${TRASHED_COLUMNS} FROM task_rows
        WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`,
      [id, ownerId],
    );
    return row && trashedFromRow(row);
  }

  /**
   * Brings `task` back at `to`, if it is still in the trash at the version read, with the
   * subtasks that went with it (they keep their order among themselves, and go into its list).
   * Undefined when a concurrent request came
   * first.
   */
  async restore(db: SqlExecutor, task: TrashedTask, to: Placement): Promise<Task | undefined> {
    const row = await db.one<TaskRow>(
      `UPDATE task_rows SET deleted_at = NULL, trashed_with = NULL,
              list_id = $4, parent_id = $5, position = $6, version = version + 1, updated_at = now()
        WHERE id = $1 AND user_id = $2 AND version = $3 AND deleted_at IS NOT NULL
        RETURNING ${TASK_COLUMNS}`,
      [task.id, task.userId, task.version, to.listId, to.parentId, to.position],
    );
    if (!row) return undefined;
    // list_id explicitly: a list deleted while they were in the trash left them (and their
    // parent) with none, and the cascade does not follow a NULL key.
    await db.execute(
      `UPDATE task_rows SET deleted_at = NULL, trashed_with = NULL, list_id = $2,
              version = version + 1, updated_at = now()
        WHERE parent_id = $1 AND trashed_with = $1 AND deleted_at IS NOT NULL`,
      [task.id, to.listId],
    );
    return taskFromRow(row);
  }

  /** Deleted for good, with its subtasks (the foreign key cascades); whether it was there. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const deleted = await this.sql.execute(
      `DELETE FROM task_rows WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`,
      [id, ownerId],
    );
    return deleted > 0;
  }

  /** Empties the owner's trash; how many tasks went. */
  empty(ownerId: string): Promise<number> {
    return this.sql.execute(`DELETE FROM task_rows WHERE user_id = $1 AND deleted_at IS NOT NULL`, [
      ownerId,
    ]);
  }

  /** Deletes for good what has been in the trash longer than `retentionSeconds`; how many. */
  async purgeExpired(retentionSeconds: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.sql.execute(
        `DELETE FROM task_rows WHERE id IN (
           SELECT id FROM task_rows
            WHERE deleted_at < now() - make_interval(secs => $1) LIMIT $2)`,
        [retentionSeconds, PURGE_BATCH],
      );
      total += deleted;
      // Not `< PURGE_BATCH`: a parent's cascade can delete subtasks the batch also picked.
      if (deleted === 0) return total;
    }
  }
}
