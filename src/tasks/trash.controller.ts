import { Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { ListRoute } from '../common/list-route.decorator';
import { OwnerRoutes } from '../common/owner-routes.decorator';
import { PageQuery } from '../common/paging';
import { PageOf, WithHeaders } from '../common/response';
import { ClearCompletedResponse, TaskResponse } from './dto/task.dto';
import { TrashedTaskResponse } from './dto/trash.dto';
import { taggedTask, toTaskResponse } from './task.mapper';
import { ETAG, TaskId, TaskNotFound } from './task-routes.decorator';
import type { TrashedTask } from './trash.repository';
import { TrashService } from './trash.service';

const NOT_IN_TRASH = 'Not in your trash (TASK_NOT_FOUND)';

const toTrashedTaskResponse = (task: TrashedTask): TrashedTaskResponse => ({
  ...toTaskResponse(task),
  deleted_at: task.deletedAt.toISOString(),
});

@OwnerRoutes('Trash', 'trash')
export class TrashController {
  constructor(private readonly trash: TrashService) {}

  @Get()
  @ListRoute(
    {
      summary: 'Your trash, most recently deleted first',
      description:
        'Deleted tasks (and the subtasks that went with them) stay here for TRASH_RETENTION (30 days by default), then are deleted for good.',
      operationId: 'listTrash',
    },
    TrashedTaskResponse,
  )
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: PageQuery,
  ): Promise<PageOf<TrashedTaskResponse>> {
    return PageOf.of(await this.trash.page(user.id, query), toTrashedTaskResponse);
  }

  @Post(':id/restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a task from the trash',
    description:
      'Back with the subtasks that were deleted with it, last in its list (or in your default list when that list is gone). A subtask comes back under its parent when the parent is not in the trash, else top-level.',
    operationId: 'restoreTask',
  })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400)
  @TaskNotFound(NOT_IN_TRASH)
  async restore(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
  ): Promise<WithHeaders<TaskResponse>> {
    return taggedTask(await this.trash.restore(user.id, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a task in the trash for good (with its subtasks)',
    operationId: 'deleteTrashedTask',
  })
  @ApiNoContentResponse({ description: 'Deleted for good' })
  @ApiProblems(400)
  @TaskNotFound(NOT_IN_TRASH)
  async delete(@CurrentUser() user: AuthUser, @TaskId() id: string): Promise<void> {
    await this.trash.delete(user.id, id);
  }

  @Delete()
  @ApiOperation({ summary: 'Empty your trash', operationId: 'emptyTrash' })
  @ApiOkResponse({ type: ClearCompletedResponse, description: 'How many tasks were deleted' })
  async empty(@CurrentUser() user: AuthUser): Promise<ClearCompletedResponse> {
    return { deleted: await this.trash.empty(user.id) };
  }
}
