import {
  fetchSqlPage,
  type Condition,
  type CursorCodec,
  type Page,
  type SortSpec,
} from '../common/paging';
import type { SqlExecutor } from '../database/sql';
import type { ListTasksQuery, TaskSort } from './dto/task.dto';
import { taskFromRow, taskRowSql } from './task-row';
import type { Task } from './task.entity';

/**
 * Must stay equal to the expression of the tasks_user_priority_idx index (migration
 * 1764000000500) so that `sort=priority` is an index scan: high > medium > low.
 */
export const PRIORITY_RANK_SQL = `CASE task.priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

const byId = { sql: 'task.id' };

/** The owner's (and the admin's) task sorts; each ends with the id so paging is stable. */
export const TASK_SORT_SPECS: Record<TaskSort, SortSpec> = {
  created: { name: 'tasks:created', keys: [{ sql: 'task.created_at' }, byId] },
  updated: { name: 'tasks:updated', keys: [{ sql: 'task.updated_at' }, byId] },
  title: { name: 'tasks:title', keys: [{ sql: 'lower(task.title)' }, byId] },
  due_date: { name: 'tasks:due_date', keys: [{ sql: 'task.due_date', nullable: true }, byId] },
  priority: { name: 'tasks:priority', keys: [{ sql: PRIORITY_RANK_SQL }, byId] },
};

/** `q` is a literal substring: LIKE's wildcards and its escape character are escaped. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The list filters as SQL conditions over the alias `task` (the owner condition is the caller's). */
export function taskFilters(query: Partial<ListTasksQuery>): Condition[] {
  const conditions: Condition[] = [];
  if (query.status === 'pending' || query.status === 'completed') {
    conditions.push({
      sql: 'task.completed = :completed',
      params: { completed: query.status === 'completed' },
    });
  }
  if (query.q) {
    conditions.push({
      sql: `(task.title ILIKE :q ESCAPE '\\' OR task.description ILIKE :q ESCAPE '\\')`,
      params: { q: likePattern(query.q) },
    });
  }
  if (query.priority) {
    conditions.push({ sql: 'task.priority = :priority', params: { priority: query.priority } });
  }
  if (query.tag) {
    conditions.push({ sql: 'task.tags @> ARRAY[:tag]::text[]', params: { tag: query.tag } });
  }
  if (query.due_before) {
    conditions.push({ sql: 'task.due_date < :dueBefore', params: { dueBefore: query.due_before } });
  }
  if (query.due_after) {
    conditions.push({ sql: 'task.due_date >= :dueAfter', params: { dueAfter: query.due_after } });
  }
  return conditions;
}

const TASK_LIST_SELECT = taskRowSql('task');

/**
 * One page of a task list, the owner's or an admin's: the tasks matching `scope` (who owns them,
 * when the list is one user's) and the query's filters, in its sort (keyset paging, common/paging).
 */
export function fetchTaskPage(
  list: string,
  scope: Condition[],
  query: ListTasksQuery,
  codec: CursorCodec,
  sql: SqlExecutor,
): Promise<Page<Task>> {
  return fetchSqlPage(
    { select: TASK_LIST_SELECT, from: 'tasks task', where: [...scope, ...taskFilters(query)] },
    {
      list,
      sort: TASK_SORT_SPECS[query.sort],
      order: query.order,
      limit: query.limit,
      cursor: query.cursor,
    },
    codec,
    (text, values) => sql.rows(text, values),
    taskFromRow,
  );
}
