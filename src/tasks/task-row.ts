import type { RawRow } from '../common/paging';
import { Task } from './task.entity';

/**
 * A row of `tasks` as pg returns it: pg already parses the columns into the entity's types
 * (Date, string[], number). The hot reads (GET one, list pages, UPDATE ... RETURNING) map these
 * rows straight to the entity, skipping TypeORM's query building and hydration.
 */
export interface TaskRow {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  priority: Task['priority'];
  due_date: Date | null;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

const TASK_ROW_COLUMNS: (keyof TaskRow)[] = [
  'id',
  'user_id',
  'title',
  'description',
  'completed',
  'completed_at',
  'priority',
  'due_date',
  'tags',
  'version',
  'created_at',
  'updated_at',
];

/** The columns of a TaskRow, as SQL (over `alias` when given). */
export const taskRowSql = (alias?: string) =>
  TASK_ROW_COLUMNS.map((column) => (alias ? `${alias}.${column}` : column)).join(', ');

export const taskFromRow = (row: TaskRow | RawRow): Task => {
  const task = row as TaskRow;
  return Object.assign(new Task(), {
    id: task.id,
    userId: task.user_id,
    title: task.title,
    description: task.description,
    completed: task.completed,
    completedAt: task.completed_at,
    priority: task.priority,
    dueDate: task.due_date,
    tags: task.tags,
    version: task.version,
    createdAt: task.created_at,
    updatedAt: task.updated_at,
  });
};
