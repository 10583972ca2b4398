import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { notFound } from '../common/problem';
import { CreateTaskDto, ListTasksQuery, UpdateTaskDto } from './dto/task.dto';
import { Task } from './task.entity';

export const taskNotFound = () => notFound('TASK_NOT_FOUND', 'No such task.');

export interface TaskPage {
  tasks: Task[];
  total: number;
}

/**
 * The owner's tasks. Every query is filtered by the owner id in SQL, so another user's task is
 * indistinguishable from a missing one (404), whatever the layers above decided.
 */
@Injectable()
export class TasksService {
  constructor(@InjectRepository(Task) private readonly tasks: Repository<Task>) {}

  async list(ownerId: string, query: ListTasksQuery): Promise<TaskPage> {
    const builder = this.tasks
      .createQueryBuilder('task')
      .where('task.userId = :ownerId', { ownerId });
    if (query.status !== 'all') {
      builder.andWhere('task.completed = :completed', { completed: query.status === 'completed' });
    }
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    if (query.sort === 'title') builder.orderBy('lower(task.title)', direction);
    else builder.orderBy('task.createdAt', direction);
    builder.addOrderBy('task.id', direction).take(query.limit);
    const [tasks, total] = await builder.getManyAndCount();
    return { tasks, total };
  }

  async get(ownerId: string, id: string): Promise<Task> {
    const task = await this.tasks.findOneBy({ id, userId: ownerId });
    if (!task) throw taskNotFound();
    return task;
  }

  create(ownerId: string, dto: CreateTaskDto): Promise<Task> {
    const completed = dto.completed ?? false;
    return this.tasks.save(
      this.tasks.create({
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
  async update(ownerId: string, id: string, dto: UpdateTaskDto): Promise<Task> {
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
    if (Object.keys(changes).length === 0) return this.get(ownerId, id);
    return this.writeOne(ownerId, id, changes);
  }

  /** Flips `completed`, or sets it when a value is given (then a retry changes nothing more). */
  setCompleted(ownerId: string, id: string, completed?: boolean): Promise<Task> {
    if (completed === undefined) {
      return this.writeOne(ownerId, id, {
        completed: () => 'NOT completed',
        completedAt: () => 'CASE WHEN completed THEN NULL ELSE now() END',
      });
    }
    return this.update(ownerId, id, { completed });
  }

  async remove(ownerId: string, id: string): Promise<void> {
    const result = await this.tasks.delete({ id, userId: ownerId });
    if (!result.affected) throw taskNotFound();
  }

  /** "Clear completed": one statement, returning how many went. */
  async clearCompleted(ownerId: string): Promise<number> {
    const result = await this.tasks.delete({ userId: ownerId, completed: true });
    return result.affected ?? 0;
  }

  private async writeOne(
    ownerId: string,
    id: string,
    changes: Record<string, unknown>,
  ): Promise<Task> {
    const result = await this.tasks
      .createQueryBuilder()
      .update(Task)
      .set({ ...changes, version: () => 'version + 1', updatedAt: () => 'now()' })
      .where('id = :id AND user_id = :ownerId', { id, ownerId })
      .returning('*')
      .execute();
    const row = (result.raw as Record<string, unknown>[])[0];
    if (!row) throw taskNotFound();
    return this.tasks.create(fromRow(row));
  }
}

/** A RETURNING * row (snake_case columns) as entity fields. */
function fromRow(row: Record<string, unknown>): Partial<Task> {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    title: row.title as string,
    description: row.description as string | null,
    completed: row.completed as boolean,
    completedAt: row.completed_at as Date | null,
    priority: row.priority as Task['priority'],
    dueDate: row.due_date as Date | null,
    tags: row.tags as string[],
    version: row.version as number,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}
