import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { uuidParam } from '../common/uuid';
import {
  ClearCompletedQuery,
  ClearCompletedResponse,
  CompleteTaskDto,
  CreateTaskDto,
  ListTasksQuery,
  TaskResponse,
  UpdateTaskDto,
} from './dto/task.dto';
import { OwnershipInterceptor } from './ownership.interceptor';
import { etagOf, toTaskResponse } from './task.mapper';
import { TasksService } from './tasks.service';

const TOTAL_COUNT = {
  'X-Total-Count': { description: 'Number of matching tasks', schema: { type: 'integer' } },
};
const ETAG = {
  ETag: { description: 'Current version of the task (for If-Match)', schema: { type: 'string' } },
};

@ApiTags('Tasks')
@ApiBearerAuth()
@ApiParam({ name: 'user_id', description: "Your own user id, or 'me'", example: 'me' })
@ApiProblems(401, 403)
@UseInterceptors(OwnershipInterceptor)
@Controller('api/:user_id/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get()
  @ApiOperation({ summary: 'List your tasks', operationId: 'listTasks' })
  @ApiOkResponse({ type: [TaskResponse], headers: TOTAL_COUNT })
  @ApiProblems(400)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListTasksQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse[]> {
    const page = await this.tasks.list(user.id, query);
    reply.header('x-total-count', String(page.total));
    return page.tasks.map(toTaskResponse);
  }

  @Post()
  @ApiOperation({ summary: 'Create a task', operationId: 'createTask' })
  @ApiCreatedResponse({
    type: TaskResponse,
    headers: {
      Location: { description: 'URL of the new task', schema: { type: 'string' } },
      ...ETAG,
    },
  })
  @ApiProblems(400, 413, 415)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.create(user.id, dto);
    reply.header('location', `/api/${user.id}/tasks/${task.id}`).header('etag', etagOf(task));
    return toTaskResponse(task);
  }

  @Delete()
  @ApiOperation({
    summary: 'Clear completed: delete all your completed tasks',
    operationId: 'clearCompletedTasks',
  })
  @ApiOkResponse({ type: ClearCompletedResponse })
  @ApiProblems(400)
  async clearCompleted(
    @CurrentUser() user: AuthUser,
    @Query() _query: ClearCompletedQuery,
  ): Promise<ClearCompletedResponse> {
    return { deleted: await this.tasks.clearCompleted(user.id) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one of your tasks', operationId: 'getTask' })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 404)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.get(user.id, id);
    reply.header('etag', etagOf(task));
    return toTaskResponse(task);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update a task (fields given only)', operationId: 'replaceTask' })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 404, 413, 415)
  put(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    return this.update(user, id, dto, reply);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a task (fields given only)', operationId: 'updateTask' })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 404, 413, 415)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.update(user.id, id, dto);
    reply.header('etag', etagOf(task));
    return toTaskResponse(task);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task', operationId: 'deleteTask' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404)
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.tasks.remove(user.id, id);
  }

  @Patch(':id/complete')
  @ApiOperation({
    summary: 'Toggle completion, or set it with {completed}',
    operationId: 'completeTask',
  })
  @ApiHeader({ name: 'Content-Type', required: false })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 404)
  async complete(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: CompleteTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.setCompleted(user.id, id, dto?.completed);
    reply.header('etag', etagOf(task));
    return toTaskResponse(task);
  }
}
