import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { ListTasksQuery } from '../tasks/dto/task.dto';
import { Task } from '../tasks/task.entity';
import { taskNotFound } from '../tasks/tasks.service';
import { userNotFound } from './admin-users.service';
import { AuditLogService } from './audit-log.service';
import { StatsResponse } from './dto/admin.dto';

/**
 * The admin task lists as a query: the owner's filters and sorts (id breaks ties, so paging is
 * stable), across every user unless `userId` narrows it to one.
 */
export function tasksListQuery(
  tasks: Repository<Task>,
  query: ListTasksQuery,
  userId?: string,
): SelectQueryBuilder<Task> {
  const builder = tasks.createQueryBuilder('task');
  if (userId) builder.andWhere('task.userId = :userId', { userId });
  if (query.status !== 'all') {
    builder.andWhere('task.completed = :completed', { completed: query.status === 'completed' });
  }
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  if (query.sort === 'title') builder.orderBy('lower(task.title)', direction);
  else builder.orderBy('task.createdAt', direction);
  return builder.addOrderBy('task.id', direction).take(query.limit);
}

/** Tasks of any user, and the live numbers. */
@Injectable()
export class AdminTasksService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    private readonly audit: AuditLogService,
  ) {}

  async list(query: ListTasksQuery, userId?: string): Promise<{ tasks: Task[]; total: number }> {
    const [tasks, total] = await tasksListQuery(this.tasks, query, userId).getManyAndCount();
    return { tasks, total };
  }

  /** One user's tasks: a user that does not exist is a 404, not an empty list. */
  async listOfUser(userId: string, query: ListTasksQuery) {
    await this.assertUserExists(userId);
    return this.list(query, userId);
  }

  /** Deletes the task only if it is that user's; the audit entry keeps what it was. */
  async removeOfUser(actorId: string, userId: string, taskId: string): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      const [deleted]: [{ title: string }[], number] = await db.query(
        `DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING title`,
        [taskId, userId],
      );
      if (!deleted.length) {
        await this.assertUserExists(userId);
        throw taskNotFound();
      }
      await this.audit.record(db, {
        actorId,
        action: 'task.deleted',
        targetType: 'task',
        targetId: taskId,
        details: { user_id: userId, title: deleted[0].title },
      });
    });
  }

  /** One statement, so one snapshot (the numbers add up), whatever the number of rows. */
  async stats(): Promise<StatsResponse> {
    const [row] = await this.dataSource.query<
      { users: StatsResponse['users']; tasks: StatsResponse['tasks'] }[]
    >(
      `SELECT
         (SELECT json_build_object(
                   'total', count(*),
                   'admins', count(*) FILTER (WHERE role = 'admin'),
                   'banned', count(*) FILTER (WHERE banned))
            FROM users) AS users,
         (SELECT json_build_object(
                   'total', count(*),
                   'completed', count(*) FILTER (WHERE completed),
                   'pending', count(*) FILTER (WHERE NOT completed),
                   'overdue', count(*) FILTER (WHERE NOT completed AND due_date < now()))
            FROM tasks) AS tasks`,
    );
    return { users: row.users, tasks: row.tasks };
  }

  private async assertUserExists(userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM users WHERE id = $1`, [
      userId,
    ]);
    if (!rows.length) throw userNotFound();
  }
}
