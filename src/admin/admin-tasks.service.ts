import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { CursorCodec, fetchPage, type Page } from '../common/paging';
import { ListTasksQuery } from '../tasks/dto/task.dto';
import { TASK_SORT_SPECS, taskFilters } from '../tasks/task-list';
import { selectTaskRow, taskFromRow } from '../tasks/task-row';
import { Task } from '../tasks/task.entity';
import { taskNotFound } from '../tasks/tasks.service';
import { userNotFound } from './admin-users.service';
import { AuditLogService } from './audit-log.service';
import { AdminListTasksQuery, StatsResponse } from './dto/admin.dto';

/** Tasks of any user, and the live numbers. */
@Injectable()
export class AdminTasksService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    private readonly audit: AuditLogService,
    private readonly cursors: CursorCodec,
  ) {}

  /** Every user's tasks, or one user's with `user_id`: the owner's filters, sorts and paging. */
  list(query: AdminListTasksQuery): Promise<Page<Task>> {
    const builder = this.tasks.createQueryBuilder('task');
    if (query.user_id) builder.andWhere('task.user_id = :userId', { userId: query.user_id });
    return this.page('/api/admin/tasks', builder, query);
  }

  /** One user's tasks: a user that does not exist is a 404, not an empty list. */
  async listOfUser(userId: string, query: ListTasksQuery): Promise<Page<Task>> {
    await this.assertUserExists(userId);
    const builder = this.tasks
      .createQueryBuilder('task')
      .where('task.user_id = :userId', { userId });
    return this.page(`/api/admin/users/${userId}/tasks`, builder, query);
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

  private page(
    list: string,
    builder: SelectQueryBuilder<Task>,
    query: ListTasksQuery,
  ): Promise<Page<Task>> {
    for (const condition of taskFilters(query)) builder.andWhere(condition.sql, condition.params);
    return fetchPage(
      selectTaskRow(builder),
      {
        list,
        sort: TASK_SORT_SPECS[query.sort],
        order: query.order,
        limit: query.limit,
        cursor: query.cursor,
      },
      this.cursors,
      taskFromRow,
    );
  }

  private async assertUserExists(userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM users WHERE id = $1`, [
      userId,
    ]);
    if (!rows.length) throw userNotFound();
  }
}
