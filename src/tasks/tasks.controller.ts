import { Body, Delete, Get, Headers, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { OwnerRoutes } from '../common/owner-routes.decorator';
import {
  IdempotencyStore,
  parseIdempotencyKey,
  requestHash,
  SentBody,
} from '../common/idempotency';
import { notModified, parseIfMatch } from '../common/if-match';
import { ListRoute } from '../common/list-route.decorator';
import { PageQuery } from '../common/paging';
import { notModifiedAnswer, PageOf, type WithHeaders } from '../common/response';
import type { SqlExecutor } from '../database/sql';
import {
  ClearCompletedQuery,
  ClearCompletedResponse,
  CompleteTaskDto,
  CompletionResponse,
  CreateTaskDto,
  ListTasksQuery,
  MoveTaskDto,
  TaskResponse,
  UpdateTaskDto,
} from './dto/task.dto';
import { createdTask, taggedTask, toCompletionResponse, toTaskResponse } from './task.mapper';
import {
  ETAG,
  IfMatch,
  TaggedTaskResponse,
  TaskId,
  TaskNotFound,
  TaskUpdate,
  TaskWrite,
} from './task-routes.decorator';
import { TasksService } from './tasks.service';

type TaskAnswer = Promise<WithHeaders<TaskResponse>>;

@OwnerRoutes('Tasks', 'tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly idempotency: IdempotencyStore,
  ) {}

  @Get()
  @ListRoute({ summary: 'List your tasks', operationId: 'listTasks' }, TaskResponse)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListTasksQuery,
  ): Promise<PageOf<TaskResponse>> {
    return PageOf.of(await this.tasks.list(user.id, query), toTaskResponse);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a task',
    description:
      'With an `Idempotency-Key` header, a retry within 24 hours returns the first response (status, body, Location, ETag, plus `Idempotent-Replayed: true`) and creates nothing. Concurrent requests with one key create one task.',
    operationId: 'createTask',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Your unique key for this create, e.g. a UUID (1-255 visible ASCII characters). Kept 24 hours, per user.',
    // No example: Swagger UI would pre-fill it, and every create from Try it out would replay.
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
  })
  @ApiCreatedResponse({
    type: TaskResponse,
    headers: {
      Location: { description: 'URL of the new task', schema: { type: 'string' } },
      ...ETAG,
      'Idempotent-Replayed': {
        description:
          '`true` when this is the stored response of an earlier request with the same Idempotency-Key (nothing was created)',
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiProblem(
    409,
    'A request with this Idempotency-Key is still being processed (IDEMPOTENCY_KEY_IN_PROGRESS): retry after Retry-After',
    {
      'Retry-After': {
        description: 'Seconds to wait before retrying',
        schema: { type: 'integer' },
      },
    },
  )
  @ApiProblem(
    422,
    'This Idempotency-Key was already used with a different body (IDEMPOTENCY_KEY_REUSED)',
  )
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateTaskDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @SentBody() sent: unknown,
  ): TaskAnswer {
    const key = parseIdempotencyKey(idempotencyKey);
    const create = async (db?: SqlExecutor) =>
      createdTask(await this.tasks.create(user.id, dto, db));
    if (key === undefined) return create();
    return this.idempotency.once(user.id, key, requestHash(sent), create);
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
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description:
      'The ETag you have (e.g. "3"): while it is still current the answer is 304 with no body.',
  })
  @TaggedTaskResponse()
  @ApiResponse({ status: 304, description: 'Not modified: your copy is current', headers: ETAG })
  @ApiProblems(400)
  @TaskNotFound()
  async get(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ): TaskAnswer {
    const answer = taggedTask(await this.tasks.get(user.id, id));
    return notModified(ifNoneMatch, answer.headers.etag)
      ? notModifiedAnswer<TaskResponse>(answer.headers)
      : answer;
  }

  @Put(':id')
  @TaskUpdate('replaceTask')
  put(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Body() dto: UpdateTaskDto,
    @IfMatch() ifMatch: string | undefined,
  ): TaskAnswer {
    return this.update(user, id, dto, ifMatch);
  }

  @Patch(':id')
  @TaskUpdate('updateTask')
  async update(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Body() dto: UpdateTaskDto,
    @IfMatch() ifMatch: string | undefined,
  ): TaskAnswer {
    return taggedTask(await this.tasks.update(user.id, id, dto, parseIfMatch(ifMatch)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task', operationId: 'deleteTask' })
  @TaskWrite()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400)
  async remove(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<void> {
    await this.tasks.remove(user.id, id, parseIfMatch(ifMatch));
  }

  @Patch(':id/complete')
  @ApiOperation({
    summary: 'Toggle completion, or set it with {completed}',
    operationId: 'completeTask',
  })
  @ApiHeader({ name: 'Content-Type', required: false })
  // No body toggles.
  @ApiBody({ type: CompleteTaskDto, required: false })
  @TaskWrite()
  @TaggedTaskResponse()
  async complete(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Body() dto: CompleteTaskDto,
    @IfMatch() ifMatch: string | undefined,
  ): TaskAnswer {
    const expected = parseIfMatch(ifMatch);
    return taggedTask(await this.tasks.setCompleted(user.id, id, dto.completed, expected));
  }

  @Post(':id/move')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move a task: into another list, under another parent, next to a sibling',
    description:
      '`list_id` and/or `parent_id` (null: top-level) give the new place; `before` or `after` (the id of a task among the new siblings) puts it next to that task, else it goes last. Its subtasks move with it. A subtask is always in its parent’s list.',
    operationId: 'moveTask',
  })
  @TaskWrite()
  @TaggedTaskResponse()
  async move(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Body() dto: MoveTaskDto,
    @IfMatch() ifMatch: string | undefined,
  ): TaskAnswer {
    return taggedTask(await this.tasks.move(user.id, id, dto, parseIfMatch(ifMatch)));
  }

  @Get(':id/completions')
  @ListRoute(
    {
      summary: "A recurring task's completed occurrences, newest first",
      operationId: 'listCompletions',
    },
    CompletionResponse,
  )
  @TaskNotFound()
  async completions(
    @CurrentUser() user: AuthUser,
    @TaskId() id: string,
    @Query() query: PageQuery,
  ): Promise<PageOf<CompletionResponse>> {
    return PageOf.of(await this.tasks.completions(user.id, id, query), toCompletionResponse);
  }
}
