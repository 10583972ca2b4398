import { Injectable } from '@nestjs/common';
import type { VersionPrecondition } from '../common/if-match';
import {
  fetchSqlPage,
  Pager,
  likePattern,
  type Condition,
  type Page,
  type RawRow,
  type SortSpec,
} from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';
import type { ListTasksQuery, TaskSort } from './dto/task.dto';
import { Task } from './task.entity';

/**
 * A row of `tasks` as pg returns it: pg already parses the columns into the entity's types
 * (Date, string[], number), so a row maps straight to the entity.
 */
export interface TaskRow {
  id: string;
  user_id: string;
  list_id: string;
  parent_id: string | null;
  position: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  priority: Task['priority'];
  due_date: Date | null;
  tags: string[];
  recurrence: string | null;
  recurrence_start: Date | null;
  timezone: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** The columns of a TaskRow, as SQL. */
export const TASK_COLUMNS =
  'id, user_id, list_id, parent_id, position, title, description, completed, completed_at, priority, due_date, tags, recurrence, recurrence_start, timezone, version, created_at, updated_at';
const GET_ONE_SQL = `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2`;

export const taskFromRow = (row: TaskRow | RawRow): Task => {
  const task = row as TaskRow;
  return Object.assign(new Task(), {
    id: task.id,
    userId: task.user_id,
    listId: task.list_id,
    parentId: task.parent_id,
    position: task.position,
    title: task.title,
    description: task.description,
    completed: task.completed,
    completedAt: task.completed_at,
    priority: task.priority,
    dueDate: task.due_date,
    tags: task.tags,
    recurrence: task.recurrence,
    recurrenceStart: task.recurrence_start,
    timezone: task.timezone,
    version: task.version,
    createdAt: task.created_at,
    updatedAt: task.updated_at,
  });
};

/**
 * Must stay equal to the expression of the tasks_user_priority_idx index (migration
 * 1764000000500) so that `sort=priority` is an index scan: high > medium > low.
 */
const PRIORITY_RANK_SQL = `CASE task.priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

const byId = { sql: 'task.id' };

/** The owner's (and the admin's) task sorts; each ends with the id so paging is stable. */
export const TASK_SORT_SPECS: Record<TaskSort, SortSpec> = {
  created: { name: 'tasks:created', keys: [{ sql: 'task.created_at' }, byId] },
  updated: { name: 'tasks:updated', keys: [{ sql: 'task.updated_at' }, byId] },
  title: { name: 'tasks:title', keys: [{ sql: 'lower(task.title)' }, byId] },
  due_date: { name: 'tasks:due_date', keys: [{ sql: 'task.due_date', nullable: true }, byId] },
  priority: { name: 'tasks:priority', keys: [{ sql: PRIORITY_RANK_SQL }, byId] },
  position: { name: 'tasks:position', keys: [{ sql: 'task.position' }, byId] },
};

/**
 * Must stay equal to the expression of the tasks_search_grams_idx index (migration 1764600000000):
 * the 4-grams of the lower-cased title and description, spaces included.
 */
const TASK_GRAMS_SQL = 'text_grams(task.title) || text_grams(task.description)';

/**
 * `q` as SQL. The trigram indexes (pg_trgm) find the rows holding every trigram of each word of
 * `q`, which for common words is most rows though the phrase is in none ("lorem lorem lorem":
 * 1.5M candidates of 2M). From 4 characters on, `q`'s 4-grams, spaces included, rule such rows out
 * (`index`, which fetchSqlPage uses once the filters proved rare), and the match is written as
 * the lower() LIKE that ILIKE is, which no trigram index serves, so that is the index used.
 */
function searchCondition(q: string): Condition {
  const params = { q: likePattern(q) };
  if ([...q].length < 4)
    return {
      sql: `(task.title ILIKE :q ESCAPE '\\' OR task.description ILIKE :q ESCAPE '\\')`,
      params,
    };
  return {
    sql: `(lower(task.title) LIKE lower(:q) ESCAPE '\\' OR lower(task.description) LIKE lower(:q) ESCAPE '\\')`,
    params,
    index: { sql: `(${TASK_GRAMS_SQL}) @> text_grams(:qText)`, params: { qText: q } },
  };
}

/** The list filters as SQL conditions over the alias `task` (the owner condition is the caller's). */
export function taskFilters(query: Partial<ListTasksQuery>): Condition[] {
  const conditions: Condition[] = [];
  if (query.status === 'pending' || query.status === 'completed') {
    conditions.push({
      sql: 'task.completed = :completed',
      params: { completed: query.status === 'completed' },
    });
  }
  if (query.q) conditions.push(searchCondition(query.q));
  if (query.priority) {
    conditions.push({ sql: 'task.priority = :priority', params: { priority: query.priority } });
  }
  if (query.tag) {
    conditions.push({ sql: 'task.tags @> ARRAY[:tag]::text[]', params: { tag: query.tag } });
  }
  // As the due_date sort's keys (keySql): the same indexes serve these ranges. The same
  // conditions for a finite bound, as a task without a due date is neither due before nor after.
  if (query.due_before) {
    conditions.push({
      sql: "COALESCE(task.due_date, 'infinity') < :dueBefore",
      params: { dueBefore: query.due_before },
    });
  }
  if (query.due_after) {
    conditions.push({
      sql: "COALESCE(task.due_date, '-infinity') >= :dueAfter",
      params: { dueAfter: query.due_after },
    });
  }
  if (query.list_id) {
    conditions.push({ sql: 'task.list_id = :listId', params: { listId: query.list_id } });
  }
  if (query.parent_id === 'none') {
    conditions.push({ sql: 'task.parent_id IS NULL' });
  } else if (query.parent_id) {
    conditions.push({ sql: 'task.parent_id = :parentId', params: { parentId: query.parent_id } });
  }
  return conditions;
}

const TASK_LIST_SELECT = TASK_COLUMNS.replace(/\w+/g, (column) => `task.${column}`);

/** What a new task is made of; the database fills in the id, version and timestamps. */
export type NewTask = Pick<
  Task,
  | 'listId'
  | 'parentId'
  | 'position'
  | 'title'
  | 'description'
  | 'completed'
  | 'priority'
  | 'dueDate'
  | 'tags'
  | 'recurrence'
  | 'timezone'
>;

/** The fields an update may set, each only when given. */
export type TaskChanges = Partial<Omit<NewTask, 'listId' | 'parentId' | 'position'>>;

/** Where a task sits: its list, its parent (null: top-level) and its place among the siblings. */
export type Placement = Pick<Task, 'listId' | 'parentId' | 'position'>;

const COLUMN_OF: Record<keyof TaskChanges, string> = {
  title: 'title',
  description: 'description',
  completed: 'completed',
  priority: 'priority',
  dueDate: 'due_date',
  tags: 'tags',
  recurrence: 'recurrence',
  timezone: 'timezone',
};

/** A recurring task's completed occurrence. */
export interface Completion {
  id: string;
  taskId: string;
  dueDate: Date;
  completedAt: Date;
}

const NEWEST_COMPLETION_FIRST: SortSpec = {
  name: 'completions:completed',
  keys: [{ sql: 'c.completed_at' }, { sql: 'c.id' }],
};

/**
 * The siblings of a placement ($1 the list, $2 the parent or NULL for top-level): written so the
 * sibling index serves both kinds. `parent_id IS NOT DISTINCT FROM $2` is not indexable, so every
 * create and move read and sorted the whole list, inside the list's lock; here the planner folds
 * the test of the parameter away and keeps `parent_id IS NULL` or `parent_id = $2`.
 */
const SIBLINGS =
  'list_id = $1 AND ($2::uuid IS NULL AND parent_id IS NULL OR parent_id = $2::uuid)';
/**
 * The sibling index's own order, backwards for the neighbour before: ordered by position alone,
 * the planner may walk the global position index instead, through every other list's tasks above
 * (61 ms at 40k tasks for a list of 8k).
 */
const SIBLING_ORDER = {
  '<': 'list_id DESC, parent_id DESC, position DESC',
  '>': 'list_id, parent_id, position',
} as const;

/** First completion stamps completed_at, completing again keeps it, reopening clears it. */
const completedAtFor = (completed: boolean) =>
  completed ? 'COALESCE(completed_at, now())' : 'NULL';

/** The SET list that moves a row to the trash, tied to the task whose deletion took it. */
const TO_TRASH = (root: string) =>
  `deleted_at = now(), trashed_with = ${root}, version = version + 1, updated_at = now()`;

const NOT_A_PENDING_OCCURRENCE = ' AND (recurrence IS NULL OR completed)';

/** Flips the state; completed_at follows it (UPDATE reads the old `completed`). */
const TOGGLE = [
  'completed = NOT completed',
  'completed_at = CASE WHEN completed THEN NULL ELSE now() END',
];

/** `AND version = ANY($n)` when If-Match names versions: the check is part of the write itself. */
export function versionCondition(expected: VersionPrecondition, values: unknown[]): string {
  if (!Array.isArray(expected)) return '';
  values.push(expected);
  return ` AND version = ANY($${values.length})`;
}

/**
 * Every query of live tasks. They name the view `tasks`, which holds no trashed row (migration
 * 1764200000000); the trash's own queries are in trash.repository.ts. The owner's are all
 * filtered by the owner id in SQL (`WHERE id = $1 AND user_id = $2`, lists from
 * `task.user_id = :ownerId`), so another user's task matches no row.
 */
@Injectable()
export class TasksRepository {
  constructor(
    private readonly sql: Sql,
    private readonly pager: Pager,
  ) {}

  /** GET one task is the hottest read: fixed SQL, mapped straight to the entity. */
  async findOne(ownerId: string, id: string): Promise<Task | undefined> {
    const [row] = await this.sql.rows<TaskRow>(GET_ONE_SQL, [id, ownerId]);
    return row && taskFromRow(row);
  }

  /** Only the version: tells a stale write (412) from a missing task (404). */
  async versionOf(ownerId: string, id: string): Promise<number | undefined> {
    const row = await this.sql.one<{ version: number }>(
      `SELECT version FROM tasks WHERE id = $1 AND user_id = $2`,
      [id, ownerId],
    );
    return row?.version;
  }

  /**
   * One page of a task list, the owner's or an admin's: `ownerId`'s tasks (everyone's when
   * undefined) matching the query's filters, in its sort. `list` binds the cursors to the route.
   */
  page(list: string, ownerId: string | undefined, query: ListTasksQuery): Promise<Page<Task>> {
    const scope: Condition[] =
      ownerId === undefined ? [] : [{ sql: 'task.user_id = :ownerId', params: { ownerId } }];
    return fetchSqlPage(
      { select: TASK_LIST_SELECT, from: 'tasks task', where: scope, filters: taskFilters(query) },
      {
        list,
        sort: TASK_SORT_SPECS[query.sort],
        // The manual order reads first to last; every other sort, newest (or most) first.
        order: query.order ?? (query.sort === 'position' ? 'asc' : 'desc'),
        limit: query.limit,
        cursor: query.cursor,
      },
      this.pager,
      (text, values) => this.sql.rows(text, values),
      taskFromRow,
    );
  }

  /** `db`: a caller's transaction (an Idempotency-Key claim), else the pool. */
  async insert(ownerId: string, task: NewTask, db: SqlExecutor = this.sql): Promise<Task> {
    const [row] = await db.rows<TaskRow>(
      `INSERT INTO tasks (user_id, title, description, completed, completed_at, priority, due_date,
                          tags, list_id, parent_id, position, recurrence, recurrence_start, timezone)
       VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN now() END, $5, $6, $7, $8, $9, $10, $11::varchar,
               CASE WHEN $11::varchar IS NOT NULL THEN $6::timestamptz END, $12)
       RETURNING ${TASK_COLUMNS}`,
      [
        ownerId,
        task.title,
        task.description,
        task.completed,
        task.priority,
        task.dueDate,
        task.tags,
        task.listId,
        task.parentId,
        task.position,
        task.recurrence,
        task.timezone,
      ],
    );
    return taskFromRow(row);
  }

  /**
   * Sets the given fields (at least one) in one conditional UPDATE; undefined when it matched no
   * row (missing, not the owner's, or not at an If-Match version).
   */
  update(
    ownerId: string,
    id: string,
    changes: TaskChanges,
    expected: VersionPrecondition,
    db: SqlExecutor = this.sql,
  ): Promise<Task | undefined> {
    const values: unknown[] = [id, ownerId];
    const sets: string[] = [];
    const param: Partial<Record<keyof TaskChanges, string>> = {};
    for (const [field, value] of Object.entries(changes) as [keyof TaskChanges, unknown][]) {
      if (value === undefined) continue;
      param[field] = `$${values.push(value)}`;
      sets.push(`${COLUMN_OF[field]} = ${param[field]}`);
    }
    if (changes.completed !== undefined)
      sets.push(`completed_at = ${completedAtFor(changes.completed)}`);
    // Setting the rule or the due date starts the rule again from the (new) due date.
    if (param.recurrence || param.dueDate) {
      const rule = param.recurrence ? `${param.recurrence}::varchar` : 'recurrence';
      const due = param.dueDate ? `${param.dueDate}::timestamptz` : 'due_date';
      sets.push(`recurrence_start = CASE WHEN ${rule} IS NULL THEN NULL ELSE ${due} END`);
    }
    return this.writeOne(sets, values, expected, db);
  }

  /**
   * Flips `completed` in one conditional UPDATE, like `update`. A pending recurring task is left
   * alone (undefined): completing it completes one occurrence (TasksService).
   */
  toggleCompleted(
    ownerId: string,
    id: string,
    expected: VersionPrecondition,
  ): Promise<Task | undefined> {
    return this.writeOne(TOGGLE, [id, ownerId], expected, this.sql, NOT_A_PENDING_OCCURRENCE);
  }

  /**
   * The owner's lists among `listIds`, locked (FOR NO KEY UPDATE, in id order) until the
   * transaction ends: every change of a list's task positions or parent links holds its list's
   * lock, so two of them never read the same neighbours, and the one-level rule is checked on
   * rows nobody else is changing.
   */
  async lockLists(db: SqlExecutor, ownerId: string, listIds: string[]): Promise<string[]> {
    const rows = await db.rows<{ id: string }>(
      `SELECT id FROM lists WHERE user_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
      [ownerId, listIds],
    );
    return rows.map((row) => row.id);
  }

  async defaultListId(db: SqlExecutor, ownerId: string): Promise<string> {
    const row = await db.one<{ id: string }>(
      `SELECT id FROM lists WHERE user_id = $1 AND is_default`,
      [ownerId],
    );
    return row!.id;
  }

  /** One of the owner's tasks, read inside a caller's transaction. */
  async findIn(db: SqlExecutor, ownerId: string, id: string): Promise<Task | undefined> {
    const [row] = await db.rows<TaskRow>(GET_ONE_SQL, [id, ownerId]);
    return row && taskFromRow(row);
  }

  async hasSubtasks(db: SqlExecutor, id: string): Promise<boolean> {
    return (await db.one(`SELECT 1 FROM tasks WHERE parent_id = $1 LIMIT 1`, [id])) !== undefined;
  }

  /** The position of `id` when it is a sibling in `siblings`, else undefined. */
  async siblingPosition(
    db: SqlExecutor,
    siblings: Omit<Placement, 'position'>,
    id: string,
  ): Promise<string | undefined> {
    const row = await db.one<{ position: string }>(
      `SELECT position FROM tasks WHERE ${SIBLINGS} AND id = $3`,
      [siblings.listId, siblings.parentId, id],
    );
    return row?.position;
  }

  /**
   * The nearest sibling position before (`<`) or after (`>`) `position` (from the end when null),
   * leaving out the task being moved.
   */
  async neighbourPosition(
    db: SqlExecutor,
    siblings: Omit<Placement, 'position'>,
    side: '<' | '>',
    position: string | null,
    except: string | null,
  ): Promise<string | null> {
    const row = await db.one<{ position: string }>(
      `SELECT position FROM tasks
        WHERE ${SIBLINGS} AND id IS DISTINCT FROM $3 AND ($4::text IS NULL OR position ${side} $4)
        ORDER BY ${SIBLING_ORDER[side]} LIMIT 1`,
      [siblings.listId, siblings.parentId, except, position],
    );
    return row?.position ?? null;
  }

  /**
   * Moves a task (its list, parent and position) in one conditional UPDATE; its subtasks follow
   * into the list (ON UPDATE CASCADE) and get a new version, as their list_id changed.
   */
  async place(
    db: SqlExecutor,
    task: Task,
    to: Placement,
    expected: VersionPrecondition,
  ): Promise<Task | undefined> {
    const moved = await this.writeOne(
      ['list_id = $3', 'parent_id = $4', 'position = $5'],
      [task.id, task.userId, to.listId, to.parentId, to.position],
      expected,
      db,
    );
    // The subtasks followed their parent into its new list (ON UPDATE CASCADE): a change of theirs.
    if (moved && moved.listId !== task.listId)
      await db.execute(
        `UPDATE tasks SET version = version + 1, updated_at = now()
          WHERE parent_id = $1 AND user_id = $2`,
        [task.id, task.userId],
      );
    return moved;
  }

  /**
   * A recurring task's completion: the occurrence due now is recorded, and the task moves on to
   * `next` (or, when the rule has ended, is completed for good), if it is still at `version`.
   */
  async completeOccurrence(
    db: SqlExecutor,
    task: Task,
    next: Date | null,
  ): Promise<Task | undefined> {
    const sets = next
      ? ['due_date = $4']
      : ['completed = true', `completed_at = ${completedAtFor(true)}`];
    const values: unknown[] = [task.id, task.userId, task.version];
    if (next) values.push(next);
    const [row] = await db.rows<TaskRow>(
      `UPDATE tasks SET ${sets.join(', ')}, version = version + 1, updated_at = now()
        WHERE id = $1 AND user_id = $2 AND version = $3
        RETURNING ${TASK_COLUMNS}`,
      values,
    );
    if (!row) return undefined;
    await db.execute(
      `INSERT INTO task_completions (task_id, user_id, due_date) VALUES ($1, $2, $3)`,
      [task.id, task.userId, task.dueDate],
    );
    return taskFromRow(row);
  }

  /** A task's completed occurrences, newest first. */
  completions(
    ownerId: string,
    taskId: string,
    request: { limit: number; cursor?: string },
  ): Promise<Page<Completion>> {
    return fetchSqlPage(
      {
        select: 'c.id, c.task_id, c.due_date, c.completed_at',
        from: 'task_completions c',
        where: [
          { sql: 'c.task_id = :taskId AND c.user_id = :ownerId', params: { taskId, ownerId } },
        ],
      },
      {
        list: `/api/${ownerId}/tasks/${taskId}/completions`,
        sort: NEWEST_COMPLETION_FIRST,
        order: 'desc',
        ...request,
      },
      this.pager,
      this.sql,
      (row) => ({
        id: row.id as string,
        taskId: row.task_id as string,
        dueDate: row.due_date as Date,
        completedAt: row.completed_at as Date,
      }),
    );
  }

  /**
   * DELETE by the owner: the task, with its subtasks, to the trash, if it is still at one of the
   * `expected` versions; whether it went. `trashed_with` ties the subtasks to it for the restore.
   */
  async trash(
    db: SqlExecutor,
    ownerId: string,
    id: string,
    expected: VersionPrecondition,
  ): Promise<boolean> {
    const values: unknown[] = [id, ownerId];
    const condition = versionCondition(expected, values);
    const row = await db.one<{ trashed: number }>(
      `WITH root AS (
         UPDATE task_rows SET ${TO_TRASH('id')}
          WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL${condition}
          RETURNING id),
       subtasks AS (
         UPDATE task_rows t SET ${TO_TRASH('root.id')}
           FROM root WHERE t.parent_id = root.id AND t.deleted_at IS NULL
           RETURNING t.id)
       SELECT (SELECT count(*)::int FROM root) AS trashed, (SELECT count(*) FROM subtasks) AS subtasks`,
      values,
    );
    return row!.trashed === 1;
  }

  /**
   * "Clear completed": the owner's completed tasks to the trash, each with its subtasks (a
   * completed subtask of a completed parent goes with its parent); how many completed tasks went.
   */
  async trashCompleted(db: SqlExecutor, ownerId: string): Promise<number> {
    const row = await db.one<{ n: number }>(
      `WITH cleared AS (
         SELECT t.id, t.completed,
                CASE WHEN p.completed THEN p.id ELSE t.id END AS root
           FROM tasks t LEFT JOIN tasks p ON p.id = t.parent_id
          WHERE t.user_id = $1 AND (t.completed OR p.completed)),
       trashed AS (
         UPDATE task_rows r SET ${TO_TRASH('c.root')}
           FROM cleared c WHERE r.id = c.id
           RETURNING c.completed)
       SELECT count(*) FILTER (WHERE completed)::int AS n FROM trashed`,
      [ownerId],
    );
    return row!.n;
  }

  /** Every list of the owner, locked in id order (the order lockLists takes them in). */
  async lockAllLists(db: SqlExecutor, ownerId: string): Promise<void> {
    await db.rows(`SELECT 1 FROM lists WHERE user_id = $1 ORDER BY id FOR NO KEY UPDATE`, [
      ownerId,
    ]);
  }

  /** Live tasks of the owner by id, for the change feed (in no particular order). */
  async findMany(db: SqlExecutor, ownerId: string, ids: string[]): Promise<Task[]> {
    const rows = await db.rows<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE user_id = $1 AND id = ANY($2::uuid[])`,
      [ownerId, ids],
    );
    return rows.map(taskFromRow);
  }

  /** The owner's live tasks in id order after `afterId`: a page of the feed's full snapshot. */
  async snapshotPage(
    db: SqlExecutor,
    ownerId: string,
    afterId: string | null,
    limit: number,
  ): Promise<Task[]> {
    const rows = await db.rows<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks
        WHERE user_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [ownerId, afterId, limit],
    );
    return rows.map(taskFromRow);
  }

  /** An admin's delete of one user's task: its title (for the audit entry), or undefined. */
  async deleteOfUser(db: SqlExecutor, userId: string, id: string): Promise<string | undefined> {
    const row = await db.one<{ title: string }>(
      `DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING title`,
      [id, userId],
    );
    return row?.title;
  }

  /** Whether the user whose tasks an admin asks for exists. */
  async ownerExists(userId: string): Promise<boolean> {
    return (await this.sql.one(`SELECT 1 FROM users WHERE id = $1`, [userId])) !== undefined;
  }

  /** UPDATE ... RETURNING one task: every write bumps the version (the ETag) and updated_at. */
  private async writeOne(
    sets: string[],
    values: unknown[],
    expected: VersionPrecondition,
    db: SqlExecutor = this.sql,
    only = '',
  ): Promise<Task | undefined> {
    const condition = versionCondition(expected, values);
    const [row] = await db.rows<TaskRow>(
      `UPDATE tasks SET ${sets.join(', ')}, version = version + 1, updated_at = now()
        WHERE id = $1 AND user_id = $2${condition}${only}
        RETURNING ${TASK_COLUMNS}`,
      values,
    );
    return row && taskFromRow(row);
  }
}
