import { Injectable } from '@nestjs/common';
import { preconditionFailed, type VersionPrecondition } from '../common/if-match';
import type { Page } from '../common/paging';
import { notFound } from '../common/problem';
import type { SqlExecutor } from '../database/sql';
import { CreateTaskDto, ListTasksQuery, UpdateTaskDto } from './dto/task.dto';
import { etagOf } from './task.mapper';
import { Task } from './task.entity';
import { TasksRepository, type TaskChanges } from './tasks.repository';

export const taskNotFound = () => notFound('TASK_NOT_FOUND', 'No such task.');

/**
 * The owner's tasks. The repository filters every query by the owner id, so another user's task
 * is indistinguishable from a missing one (404), whatever the layers above decided.
 */
@Injectable()
export class TasksService {
  constructor(private readonly tasks: TasksRepository) {}

  /** One page of the owner's tasks matching the filters (keyset paging, see common/paging). */
  list(ownerId: string, query: ListTasksQuery): Promise<Page<Task>> {
    return this.tasks.page(`/api/${ownerId}/tasks`, ownerId, query);
  }

  async get(ownerId: string, id: string): Promise<Task> {
    const task = await this.tasks.findOne(ownerId, id);
    if (!task) throw taskNotFound();
    return task;
  }

  /** `db`: inside a caller's transaction (an Idempotency-Key claim). */
  create(ownerId: string, dto: CreateTaskDto, db?: SqlExecutor): Promise<Task> {
    const task = {
      title: dto.title,
      description: dto.description ?? null,
      completed: dto.completed ?? false,
      priority: dto.priority ?? 'medium',
      dueDate: dto.due_date ?? null,
      tags: dto.tags ?? [],
    };
    return this.tasks.insert(ownerId, task, db);
  }

  /** Applies the given fields in one conditional UPDATE: the owner check and the write are atomic. */
  async update(
    ownerId: string,
    id: string,
    dto: UpdateTaskDto,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    const changes: TaskChanges = {
      title: dto.title,
      description: dto.description,
      completed: dto.completed,
      priority: dto.priority,
      dueDate: dto.due_date,
      tags: dto.tags,
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      const task = await this.get(ownerId, id);
      if (Array.isArray(expected) && !expected.includes(task.version)) {
        throw preconditionFailed(etagOf(task));
      }
      return task;
    }
    return this.written(ownerId, id, this.tasks.update(ownerId, id, changes, expected));
  }

  /** Flips `completed`, or sets it when a value is given (then a retry changes nothing more). */
  setCompleted(
    ownerId: string,
    id: string,
    completed?: boolean,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    if (completed !== undefined) return this.update(ownerId, id, { completed }, expected);
    return this.written(ownerId, id, this.tasks.toggleCompleted(ownerId, id, expected));
  }

  /** The If-Match check is part of the DELETE itself: a stale version deletes nothing. */
  async remove(ownerId: string, id: string, expected?: VersionPrecondition): Promise<void> {
    if (!(await this.tasks.delete(ownerId, id, expected))) {
      throw await this.missingOrStale(ownerId, id);
    }
  }

  /** "Clear completed": how many went. */
  clearCompleted(ownerId: string): Promise<number> {
    return this.tasks.deleteCompleted(ownerId);
  }

  /** The task a conditional write returned, or why it matched no row. */
  private async written(ownerId: string, id: string, write: Promise<Task | undefined>) {
    const task = await write;
    if (!task) throw await this.missingOrStale(ownerId, id);
    return task;
  }

  /** After a write that matched no row: 412 when the task is there (its version moved on), else 404. */
  private async missingOrStale(ownerId: string, id: string) {
    const version = await this.tasks.versionOf(ownerId, id);
    return version === undefined ? taskNotFound() : preconditionFailed(etagOf({ version }));
  }
}
