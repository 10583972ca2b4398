import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Page } from '../common/paging';
import { conflict } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Sql, type SqlExecutor } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import type { Task } from './task.entity';
import { taskNotFound } from './tasks.service';
import { TasksRepository, type Placement } from './tasks.repository';
import { positionBetween } from '../common/positions';
import { TrashRepository, type TrashedTask } from './trash.repository';

/** How often a restore that lost a race to a concurrent write is tried again. */
const ATTEMPTS = 3;

/**
 * The trash: DELETE and "clear completed" put tasks here (TasksService), a restore brings one
 * back with the subtasks that went with it, and what stays longer than TRASH_RETENTION is
 * deleted for good by the `trash.purge` job (one instance at a time, on the job queue).
 */
@Injectable()
export class TrashService implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly trash: TrashRepository,
    private readonly tasks: TasksRepository,
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.jobs.define('trash.purge', '*/10 * * * *', () =>
      this.trash.purgeExpired(this.config.trashRetentionSeconds),
    );
  }

  page(ownerId: string, query: { limit: number; cursor?: string }): Promise<Page<TrashedTask>> {
    return this.trash.page(ownerId, query);
  }

  /**
   * Back under its parent when the parent is live, else top-level in its list, or in the default
   * list when that list is gone; last among its new siblings either way.
   */
  async restore(ownerId: string, id: string): Promise<Task> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const restored = await this.sql.transaction(async (tx) => {
        const task = await this.trash.find(tx, ownerId, id);
        if (!task) throw taskNotFound();
        const to = await this.placementFor(tx, ownerId, task);
        return this.trash.restore(tx, task, to);
      });
      if (restored) return restored;
    }
    throw conflict('CONFLICT', 'The task is being changed by another request: retry.');
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.trash.delete(ownerId, id))) throw taskNotFound();
  }

  empty(ownerId: string): Promise<number> {
    return this.trash.empty(ownerId);
  }

  /** Read under the lock of the list it goes to, like every placement (TasksService). */
  private async placementFor(
    tx: SqlExecutor,
    ownerId: string,
    task: TrashedTask,
  ): Promise<Placement> {
    const parent = task.parentId ? await this.tasks.findIn(tx, ownerId, task.parentId) : undefined;
    let listId = parent?.listId ?? task.listId;
    const locked = listId ? await this.tasks.lockLists(tx, ownerId, [listId]) : [];
    if (locked.length === 0) {
      listId = await this.tasks.defaultListId(tx, ownerId);
      await this.tasks.lockLists(tx, ownerId, [listId]);
    }
    // The parent as it is under the lock: it may have gone to the trash, or moved, meanwhile.
    const parentNow = parent && (await this.tasks.findIn(tx, ownerId, parent.id));
    const parentId = parentNow && parentNow.listId === listId ? parentNow.id : null;
    const siblings = { listId: listId!, parentId };
    const last = await this.tasks.neighbourPosition(tx, siblings, '<', null, task.id);
    return { ...siblings, position: positionBetween(last, null) };
  }
}
