import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminOnly } from '../auth/admin-only.decorator';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { PageOf } from '../common/response';
import { uuidParam } from '../common/uuid';
import { ListTasksQuery, TaskResponse } from '../tasks/dto/task.dto';
import { toTaskResponse } from '../tasks/task.mapper';
import { AdminTasksService } from './admin-tasks.service';
import { Deletes, Lockout, OnUser, UserChange } from './admin-users.decorators';
import { AdminUsersService, toAdminUserResponse } from './admin-users.service';
import { AdminUserResponse, BanUserDto, ChangeRoleDto, ListUsersQuery } from './dto/admin.dto';

@AdminOnly()
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly tasks: AdminTasksService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List and search users', operationId: 'listUsers' })
  @ApiOkResponse({ type: [AdminUserResponse] })
  @ApiProblems(400)
  async list(@Query() query: ListUsersQuery): Promise<PageOf<AdminUserResponse>> {
    return PageOf.of(await this.users.list(query), toAdminUserResponse);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user', operationId: 'getUser' })
  @ApiOkResponse({ type: AdminUserResponse })
  @OnUser()
  get(@Param('id', uuidParam('id')) id: string): Promise<AdminUserResponse> {
    return this.users.get(id);
  }

  @Patch(':id/role')
  @UserChange({
    summary: 'Change a role',
    description:
      'Applies on the next request, even with an old token. Setting the role it already has changes nothing. ' +
      'An admin cannot demote itself (409 SELF_ACTION) nor the last admin (409 LAST_ADMIN).',
    operationId: 'changeUserRole',
  })
  @Lockout()
  changeRole(
    @CurrentUser() admin: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: ChangeRoleDto,
  ): Promise<AdminUserResponse> {
    return this.users.changeRole(admin.id, id, dto.role);
  }

  @Post(':id/ban')
  @UserChange({
    summary: 'Ban a user',
    description:
      'Ends every login of the user at once and refuses its logins (403 ACCOUNT_BANNED); its data is kept. ' +
      'Banning a banned user changes nothing. Not yourself (409 SELF_ACTION), not the last admin (409 LAST_ADMIN).',
    operationId: 'banUser',
  })
  @Lockout()
  @ApiBody({ type: BanUserDto, required: false })
  ban(
    @CurrentUser() admin: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: BanUserDto,
  ): Promise<AdminUserResponse> {
    return this.users.ban(admin.id, id, dto.reason || null);
  }

  @Post(':id/unban')
  @UserChange({
    summary: 'Unban a user',
    description: 'Restores login. Unbanning a user who is not banned changes nothing.',
    operationId: 'unbanUser',
  })
  unban(
    @CurrentUser() admin: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<AdminUserResponse> {
    return this.users.unban(admin.id, id);
  }

  @Delete(':id')
  @Deletes({
    summary: 'Delete a user with all its tasks and logins',
    description:
      'The audit entries about the user stay. Not yourself (409 SELF_ACTION), not the last admin (409 LAST_ADMIN).',
    operationId: 'deleteUser',
  })
  @OnUser()
  @Lockout()
  async remove(
    @CurrentUser() admin: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.users.remove(admin.id, id);
  }

  @Get(':id/tasks')
  @ApiOperation({ summary: "A user's tasks", operationId: 'listUserTasks' })
  @ApiOkResponse({ type: [TaskResponse] })
  @OnUser()
  async listTasks(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: ListTasksQuery,
  ): Promise<PageOf<TaskResponse>> {
    return PageOf.of(await this.tasks.listOfUser(id, query), toTaskResponse);
  }

  @Delete(':id/tasks/:task_id')
  @Deletes({
    summary: "Delete one of a user's tasks",
    description:
      "404 USER_NOT_FOUND for no such user, TASK_NOT_FOUND when the task is not that user's.",
    operationId: 'deleteUserTask',
  })
  @OnUser("No such user (USER_NOT_FOUND), or the task is not that user's (TASK_NOT_FOUND)")
  async removeTask(
    @CurrentUser() admin: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Param('task_id', uuidParam('task_id')) taskId: string,
  ): Promise<void> {
    await this.tasks.removeOfUser(admin.id, id, taskId);
  }
}
