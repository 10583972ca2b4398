import type { ReplayableResponse } from '../common/idempotency';
import { WithHeaders } from '../common/response';
import { CompletionResponse, TaskResponse } from './dto/task.dto';
import { Task } from './task.entity';
import type { Completion } from './tasks.repository';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** What leaves the server about a task (the version travels as the ETag, not in the body). */
export function toTaskResponse(task: Task): TaskResponse {
  return {
    id: task.id,
    user_id: task.userId,
    list_id: task.listId,
    parent_id: task.parentId,
    position: task.position,
    title: task.title,
    description: task.description,
    completed: task.completed,
    completed_at: iso(task.completedAt),
    priority: task.priority,
    due_date: iso(task.dueDate),
    tags: task.tags,
    recurrence: task.recurrence,
    timezone: task.timezone,
    created_at: task.createdAt.toISOString(),
    updated_at: task.updatedAt.toISOString(),
  };
}

export const etagOf = (task: Pick<Task, 'version'>) => `"${task.version}"`;

/** A task as a route answers it: the body, and its version as the ETag. */
export const taggedTask = (task: Task) =>
  new WithHeaders(toTaskResponse(task), { etag: etagOf(task) });

/** A new task as create answers it: 201, with its URL and ETag. */
export const createdTask = (task: Task) =>
  new WithHeaders(
    toTaskResponse(task),
    { location: `/api/${task.userId}/tasks/${task.id}`, etag: etagOf(task) },
    201,
  ) as ReplayableResponse<TaskResponse>;

export const toCompletionResponse = (completion: Completion): CompletionResponse => ({
  id: completion.id,
  task_id: completion.taskId,
  due_date: completion.dueDate.toISOString(),
  completed_at: completion.completedAt.toISOString(),
});
