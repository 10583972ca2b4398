import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Page } from '../common/paging';
import { Sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { ListTasksQuery } from '../tasks/dto/task.dto';
import { Task } from '../tasks/task.entity';
import { TasksRepository } from '../tasks/tasks.repository';
import { taskNotFound } from '../tasks/tasks.service';
import { AdminStatsRepository } from './admin-stats.repository';
import { userNotFound } from './admin-users.service';
import { AuditLogService } from './audit-log.service';
import { AdminListTasksQuery, StatsResponse } from './dto/admin.dto';

/**
 * Tasks of any user, and the live numbers. The `stats.fold` job keeps the overdue count's sum
 * short (AdminStatsRepository.foldPastHours), on one instance at a time.
 */
@Injectable()
export class AdminTasksService implements OnModuleInit {
  constructor(
    private readonly tasks: TasksRepository,
    private readonly statistics: AdminStatsRepository,
    private readonly audit: AuditLogService,
    private readonly sql: Sql,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit() {
    this.jobs.define('stats.fold', '7 * * * *', () => this.statistics.foldPastHours());
  }

  /** Every user's tasks, or one user's with `user_id`: the owner's filters, sorts and paging. */
  list(query: AdminListTasksQuery): Promise<Page<Task>> {
    return this.tasks.page('/api/admin/tasks', query.user_id, query);
  }

  /** One user's tasks: a user that does not exist is a 404, not an empty list. */
  async listOfUser(userId: string, query: ListTasksQuery): Promise<Page<Task>> {
    await this.assertUserExists(userId);
    return this.tasks.page(`/api/admin/users/${userId}/tasks`, userId, query);
  }

  /** Deletes the task only if it is that user's; the audit entry keeps what it was. */
  async removeOfUser(actorId: string, userId: string, taskId: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const title = await this.tasks.deleteOfUser(tx, userId, taskId);
      if (title === undefined) {
        await this.assertUserExists(userId);
        throw taskNotFound();
      }
      await this.audit.record(tx, {
        actorId,
        action: 'task.deleted',
        targetType: 'task',
        targetId: taskId,
        details: { user_id: userId, title },
      });
    });
  }

  stats(): Promise<StatsResponse> {
    return this.statistics.stats();
  }

  private async assertUserExists(userId: string): Promise<void> {
    if (!(await this.tasks.ownerExists(userId))) throw userNotFound();
  }
}
