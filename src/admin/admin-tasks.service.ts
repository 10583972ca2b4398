import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CursorCodec, type Condition, type Page } from '../common/paging';
import { Sql } from '../database/sql';
import { ListTasksQuery } from '../tasks/dto/task.dto';
import { fetchTaskPage } from '../tasks/task-list';
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
    private readonly audit: AuditLogService,
    private readonly cursors: CursorCodec,
    private readonly sql: Sql,
  ) {}

  /** Every user's tasks, or one user's with `user_id`: the owner's filters, sorts and paging. */
  list(query: AdminListTasksQuery): Promise<Page<Task>> {
    const scope = query.user_id
      ? [{ sql: 'task.user_id = :userId', params: { userId: query.user_id } }]
      : [];
    return this.page('/api/admin/tasks', scope, query);
  }

  /** One user's tasks: a user that does not exist is a 404, not an empty list. */
  async listOfUser(userId: string, query: ListTasksQuery): Promise<Page<Task>> {
    await this.assertUserExists(userId);
    const scope = [{ sql: 'task.user_id = :userId', params: { userId } }];
    return this.page(`/api/admin/users/${userId}/tasks`, scope, query);
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

  private page(list: string, scope: Condition[], query: ListTasksQuery): Promise<Page<Task>> {
    return fetchTaskPage(list, scope, query, this.cursors, this.sql);
  }

  private async assertUserExists(userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM users WHERE id = $1`, [
      userId,
    ]);
    if (!rows.length) throw userNotFound();
  }
}
