import { Injectable } from '@nestjs/common';
import { fetchSqlPage, type Page, type Pager, type RawRow } from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';

/** A list as the routes answer it, counts included. */
export interface ListRecord {
  id: string;
  userId: string;
  name: string;
  color: string | null;
  position: string;
  isDefault: boolean;
  taskCount: number;
  pendingCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of a list and its counts over `list` (the view `tasks` holds no trashed task). */
const LIST_SELECT = `list.id, list.user_id, list.name, list.color, list.position, list.is_default,
  list.created_at, list.updated_at,
  (SELECT count(*) FROM tasks t WHERE t.list_id = list.id)::int AS task_count,
  (SELECT count(*) FROM tasks t WHERE t.list_id = list.id AND NOT t.completed)::int AS pending_count`;

const fromRow = (row: RawRow): ListRecord => ({
  id: row.id as string,
  userId: row.user_id as string,
  name: row.name as string,
  color: row.color as string | null,
  position: row.position as string,
  isDefault: row.is_default as boolean,
  taskCount: row.task_count as number,
  pendingCount: row.pending_count as number,
  createdAt: row.created_at as Date,
  updatedAt: row.updated_at as Date,
});

const BY_POSITION = {
  name: 'lists:position',
  keys: [{ sql: 'list.position' }, { sql: 'list.id' }],
};

/** Every query of lists; each is filtered by the owner. */
@Injectable()
export class ListsRepository {
  constructor(private readonly sql: Sql) {}

  page(
    ownerId: string,
    request: { limit: number; cursor?: string },
    pager: Pager,
  ): Promise<Page<ListRecord>> {
    return fetchSqlPage(
      {
        select: LIST_SELECT,
        from: 'lists list',
        where: [{ sql: 'list.user_id = :ownerId', params: { ownerId } }],
      },
      { list: `/api/${ownerId}/lists`, sort: BY_POSITION, order: 'asc', ...request },
      pager,
      (text, values) => this.sql.rows(text, values),
      fromRow,
    );
  }

  async find(db: SqlExecutor, ownerId: string, id: string): Promise<ListRecord | undefined> {
    const row = await db.one<RawRow>(
      `SELECT ${LIST_SELECT} FROM lists list WHERE list.id = $1 AND list.user_id = $2`,
      [id, ownerId],
    );
    return row && fromRow(row);
  }

  /** Lists of the owner by id, for the change feed (in no particular order). */
  async findMany(db: SqlExecutor, ownerId: string, ids: string[]): Promise<ListRecord[]> {
    const rows = await db.rows<RawRow>(
      `SELECT ${LIST_SELECT} FROM lists list WHERE list.user_id = $1 AND list.id = ANY($2::uuid[])`,
      [ownerId, ids],
    );
    return rows.map(fromRow);
  }

  /** The owner's lists in id order after `afterId`: a page of the feed's full snapshot. */
  async snapshotPage(
    db: SqlExecutor,
    ownerId: string,
    afterId: string | null,
    limit: number,
  ): Promise<ListRecord[]> {
    const rows = await db.rows<RawRow>(
      `SELECT ${LIST_SELECT} FROM lists list
        WHERE list.user_id = $1 AND ($2::uuid IS NULL OR list.id > $2) ORDER BY list.id LIMIT $3`,
      [ownerId, afterId, limit],
    );
    return rows.map(fromRow);
  }

  /**
   * Locks the owner's set of lists (through its default list's row) until the transaction ends:
   * positions, the 500-list limit and the default list are decided one writer at a time.
   */
  async lockOwnerLists(db: SqlExecutor, ownerId: string): Promise<void> {
    await db.rows(`SELECT 1 FROM lists WHERE user_id = $1 AND is_default FOR NO KEY UPDATE`, [
      ownerId,
    ]);
  }

  async count(db: SqlExecutor, ownerId: string): Promise<number> {
    const row = await db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM lists WHERE user_id = $1`,
      [ownerId],
    );
    return row!.n;
  }

  /** The position of one of the owner's lists, undefined when it is not one. */
  async positionOf(db: SqlExecutor, ownerId: string, id: string): Promise<string | undefined> {
    const row = await db.one<{ position: string }>(
      `SELECT position FROM lists WHERE id = $1 AND user_id = $2`,
      [id, ownerId],
    );
    return row?.position;
  }

  /**
   * The nearest position before (`<`) or after (`>`) the given one (from the end when null) among
   * the owner's lists, leaving out the list `except`.
   */
  async neighbour(
    db: SqlExecutor,
    ownerId: string,
    side: '<' | '>',
    position: string | null,
    except: string | null,
  ): Promise<string | null> {
    const row = await db.one<{ position: string }>(
      `SELECT position FROM lists
        WHERE user_id = $1 AND id IS DISTINCT FROM $2 AND ($3::text IS NULL OR position ${side} $3)
        ORDER BY position ${side === '<' ? 'DESC' : 'ASC'} LIMIT 1`,
      [ownerId, except, position],
    );
    return row?.position ?? null;
  }

  async insert(
    db: SqlExecutor,
    list: { ownerId: string; name: string; color: string | null; position: string },
  ): Promise<string> {
    const row = await db.one<{ id: string }>(
      `INSERT INTO lists (user_id, name, color, position) VALUES ($1, $2, $3, $4) RETURNING id`,
      [list.ownerId, list.name, list.color, list.position],
    );
    return row!.id;
  }

  /** Sets the fields given; false when the list is not the owner's. */
  async update(
    db: SqlExecutor,
    ownerId: string,
    id: string,
    fields: { name?: string; color?: string | null; position?: string },
  ): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [id, ownerId];
    for (const [column, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    return (
      (await db.execute(
        `UPDATE lists SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND user_id = $2`,
        values,
      )) === 1
    );
  }

  /** Deletes a list that is not the default one, and with it its tasks (ON DELETE CASCADE). */
  /** The list locked against every write of its tasks, for its delete; undefined when missing. */
  async lockForDelete(
    db: SqlExecutor,
    ownerId: string,
    id: string,
  ): Promise<{ is_default: boolean } | undefined> {
    return db.one(`SELECT is_default FROM lists WHERE id = $1 AND user_id = $2 FOR UPDATE`, [
      id,
      ownerId,
    ]);
  }

  /**
   * Deletes a (locked, not default) list: its live tasks go to the trash first, each subtask
   * with its parent, and every trashed task of the list forgets it (`list_id` NULL: a restore
   * then goes to the default list). The foreign key does not cascade, so no task is ever lost.
   */
  async delete(db: SqlExecutor, ownerId: string, id: string): Promise<void> {
    await db.execute(
      `UPDATE task_rows SET
         list_id = NULL,
         trashed_with = COALESCE(trashed_with, parent_id, id),
         version = CASE WHEN deleted_at IS NULL THEN version + 1 ELSE version END,
         updated_at = CASE WHEN deleted_at IS NULL THEN now() ELSE updated_at END,
         deleted_at = COALESCE(deleted_at, now())
       WHERE list_id = $1 AND user_id = $2`,
      [id, ownerId],
    );
    await db.execute(`DELETE FROM lists WHERE id = $1 AND user_id = $2`, [id, ownerId]);
  }
}
