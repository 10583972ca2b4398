import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
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
  ApiBody,
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
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import {
  IdempotencyStore,
  parseIdempotencyKey,
  requestHash,
  SentBody,
} from '../common/idempotency';
import { parseIfMatch } from '../common/if-match';
import { PageOf, WithHeaders } from '../common/response';
import { uuidParam } from '../common/uuid';
import type { SqlExecutor } from '../database/sql';
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
import { createdTask, etagOf, taggedTask, toTaskResponse } from './task.mapper';
import { TasksService } from './tasks.service';

const PAGE_HEADERS = {
  'X-Total-Count': { description: 'Number of matching tasks', schema: { type: 'integer' } },
  Link: {
    description:
      'When there is a next page: `<url>; rel="next"`, this request with `cursor` set (same filters, sort and limit)',
    schema: { type: 'string' },
  },
};
const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description:
    'An ETag from GET (e.g. "3"): the write happens only if the task is still at that version, else 412 PRECONDITION_FAILED and nothing changes. `*` matches any version. Weak tags (W/"3") never match (strong comparison); a value that is not entity-tag syntax is 400.',
};
const ETAG = {
  ETag: { description: 'Current version of the task (for If-Match)', schema: { type: 'string' } },
};
const TASK_NOT_FOUND = 'No such task, or not yours (TASK_NOT_FOUND)';
const STALE = [
  412,
  'If-Match does not match the current ETag (PRECONDITION_FAILED): nothing changed; the ETag header has the current version',
  {
    ETag: {
      description: 'Current version of the task',
      schema: { type: 'string', example: '"4"' },
    },
  },
] as const;

@ApiTags('Tasks')
@ApiBearerAuth()
@ApiParam({ name: 'user_id', description: "Your own user id, or 'me'", example: 'me' })
@ApiProblems(401)
@ApiProblem(403, "{user_id} is not your id nor 'me' (FORBIDDEN), admins included")
@UseInterceptors(OwnershipInterceptor)
@Controller('api/:user_id/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly idempotency: IdempotencyStore,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List your tasks', operationId: 'listTasks' })
  @ApiOkResponse({ type: [TaskResponse], headers: PAGE_HEADERS })
  @ApiProblems(400)
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
  @ApiProblems(400, 413, 415)
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
  ): Promise<WithHeaders<TaskResponse>> {
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
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400)
  @ApiProblem(404, TASK_NOT_FOUND)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<WithHeaders<TaskResponse>> {
    return taggedTask(await this.tasks.get(user.id, id));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update a task (fields given only)', operationId: 'replaceTask' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 413, 415)
  @ApiProblem(404, TASK_NOT_FOUND)
  @ApiProblem(...STALE)
  put(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    return this.update(user, id, dto, ifMatch, reply);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a task (fields given only)', operationId: 'updateTask' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400, 413, 415)
  @ApiProblem(404, TASK_NOT_FOUND)
  @ApiProblem(...STALE)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.update(user.id, id, dto, parseIfMatch(ifMatch));
    reply.header('etag', etagOf(task));
    return toTaskResponse(task);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task', operationId: 'deleteTask' })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400)
  @ApiProblem(404, TASK_NOT_FOUND)
  @ApiProblem(...STALE)
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.tasks.remove(user.id, id, parseIfMatch(ifMatch));
  }

  @Patch(':id/complete')
  @ApiOperation({
    summary: 'Toggle completion, or set it with {completed}',
    operationId: 'completeTask',
  })
  @ApiHeader({ name: 'Content-Type', required: false })
  @ApiHeader(IF_MATCH)
  // No body toggles.
  @ApiBody({ type: CompleteTaskDto, required: false })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG })
  @ApiProblems(400)
  @ApiProblem(404, TASK_NOT_FOUND)
  @ApiProblem(...STALE)
  async complete(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: CompleteTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.setCompleted(user.id, id, dto?.completed, parseIfMatch(ifMatch));
    reply.header('etag', etagOf(task));
    return toTaskResponse(task);
  }
}
