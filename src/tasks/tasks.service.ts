import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { preconditionFailed, type VersionPrecondition } from '../common/if-match';
import { CursorCodec, type Page } from '../common/paging';
import { notFound } from '../common/problem';
import { Sql } from '../database/sql';
import { CreateTaskDto, ListTasksQuery, UpdateTaskDto } from './dto/task.dto';
import { fetchTaskPage } from './task-list';
import { etagOf } from './task.mapper';
import { taskFromRow, taskRowSql, type TaskRow } from './task-row';
import { Task } from './task.entity';

export const taskNotFound = () => notFound('TASK_NOT_FOUND', 'No such task.');

/** GET one task is the hottest read: fixed SQL, mapped straight to the entity. */
const GET_ONE_SQL = `SELECT ${taskRowSql()} FROM tasks WHERE id = $1 AND user_id = $2`;

/**
 * The owner's tasks. Every query is filtered by the owner id in SQL, so another user's task is
 * indistinguishable from a missing one (404), whatever the layers above decided.
 */
@Injectable()
export class TasksService {
  constructor(
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    private readonly cursors: CursorCodec,
    private readonly sql: Sql,
  ) {}

  /** One page of the owner's tasks matching the filters (keyset paging, see common/paging). */
  list(ownerId: string, query: ListTasksQuery): Promise<Page<Task>> {
    return fetchTaskPage(
      `/api/${ownerId}/tasks`,
      [{ sql: 'task.user_id = :ownerId', params: { ownerId } }],
      query,
      this.cursors,
      this.sql,
    );
  }

  async get(ownerId: string, id: string): Promise<Task> {
    const [row] = await this.sql.rows<TaskRow>(GET_ONE_SQL, [id, ownerId]);
    if (!row) throw taskNotFound();
    return taskFromRow(row);
  }

  /** `manager`: inside a caller's transaction (an Idempotency-Key claim). */
  create(ownerId: string, dto: CreateTaskDto, manager?: EntityManager): Promise<Task> {
    const completed = dto.completed ?? false;
    const tasks = manager ? manager.getRepository(Task) : this.tasks;
    return tasks.save(
      tasks.create({
        userId: ownerId,
        title: dto.title,
        description: dto.description ?? null,
        completed,
        completedAt: completed ? new Date() : null,
        priority: dto.priority ?? 'medium',
        dueDate: dto.due_date ?? null,
        tags: dto.tags ?? [],
      }),
    );
  }

  /** Applies the given fields in one conditional UPDATE: the owner check and the write are atomic. */
  async update(
    ownerId: string,
    id: string,
    dto: UpdateTaskDto,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    const changes: Record<string, unknown> = {};
    if (dto.title !== undefined) changes.title = dto.title;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.priority !== undefined) changes.priority = dto.priority;
    if (dto.due_date !== undefined) changes.dueDate = dto.due_date;
    if (dto.tags !== undefined) changes.tags = dto.tags;
    if (dto.completed !== undefined) {
      changes.completed = dto.completed;
      changes.completedAt = () => (dto.completed ? 'COALESCE(completed_at, now())' : 'NULL');
    }
    if (Object.keys(changes).length === 0) {
      const task = await this.get(ownerId, id);
      if (Array.isArray(expected) && !expected.includes(task.version)) {
        throw preconditionFailed(etagOf(task));
      }
      return task;
    }
    return this.writeOne(ownerId, id, changes, expected);
  }

  /** Flips `completed`, or sets it when a value is given (then a retry changes nothing more). */
  setCompleted(
    ownerId: string,
    id: string,
    completed?: boolean,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    if (completed === undefined) {
      return this.writeOne(
        ownerId,
        id,
        {
          completed: () => 'NOT completed',
          completedAt: () => 'CASE WHEN completed THEN NULL ELSE now() END',
        },
        expected,
      );
    }
    return this.update(ownerId, id, { completed }, expected);
  }

  /** The If-Match check is part of the DELETE itself: a stale version deletes nothing. */
  async remove(ownerId: string, id: string, expected?: VersionPrecondition): Promise<void> {
    const builder = this.tasks
      .createQueryBuilder()
      .delete()
      .from(Task)
      .where('id = :id AND user_id = :ownerId', { id, ownerId });
    if (Array.isArray(expected))
      builder.andWhere('version = ANY(:versions)', { versions: expected });
    const result = await builder.execute();
    if (!result.affected) throw await this.missingOrStale(ownerId, id);
  }

  /** "Clear completed": one statement, returning how many went. */
  async clearCompleted(ownerId: string): Promise<number> {
    const result = await this.tasks.delete({ userId: ownerId, completed: true });
    return result.affected ?? 0;
  }

  /** One conditional UPDATE: owner, and If-Match version when given, are checked by the write. */
  private async writeOne(
    ownerId: string,
    id: string,
    changes: Record<string, unknown>,
    expected?: VersionPrecondition,
  ): Promise<Task> {
    const builder = this.tasks
      .createQueryBuilder()
      .update(Task)
      .set({ ...changes, version: () => 'version + 1', updatedAt: () => 'now()' })
      .where('id = :id AND user_id = :ownerId', { id, ownerId });
    if (Array.isArray(expected))
      builder.andWhere('version = ANY(:versions)', { versions: expected });
    const result = await builder.returning('*').execute();
    const row = (result.raw as TaskRow[])[0];
    if (!row) throw await this.missingOrStale(ownerId, id);
    return taskFromRow(row);
  }

  /** After a write that matched no row: 412 when the task is there (its version moved on), else 404. */
  private async missingOrStale(ownerId: string, id: string) {
    const current = await this.tasks.findOne({
      select: { id: true, version: true },
      where: { id, userId: ownerId },
    });
    return current ? preconditionFailed(etagOf(current)) : taskNotFound();
  }
}
