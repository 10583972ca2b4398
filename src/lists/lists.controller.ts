import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblem } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { OwnerRoutes } from '../common/owner-routes.decorator';
import { ListRoute } from '../common/list-route.decorator';
import { PageOf, WithHeaders } from '../common/response';
import { uuidParam } from '../common/uuid';
import {
  CreateListDto,
  ListListsQuery,
  ListResponse,
  MoveListDto,
  UpdateListDto,
} from './dto/list.dto';
import type { ListRecord } from './lists.repository';
import { ListsService } from './lists.service';

const LIST_NOT_FOUND = 'No such list, or not yours (LIST_NOT_FOUND)';
const NAME_TAKEN = 'You already have a list of that name, ignoring case (LIST_NAME_TAKEN)';

export const toListResponse = (list: ListRecord): ListResponse => ({
  id: list.id,
  user_id: list.userId,
  name: list.name,
  color: list.color,
  position: list.position,
  is_default: list.isDefault,
  task_count: list.taskCount,
  pending_count: list.pendingCount,
  created_at: list.createdAt.toISOString(),
  updated_at: list.updatedAt.toISOString(),
});

@OwnerRoutes('Lists', 'lists')
export class ListsController {
  constructor(private readonly lists: ListsService) {}

  @Get()
  @ListRoute(
    { summary: 'List your lists, in your manual order', operationId: 'listLists' },
    ListResponse,
  )
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListListsQuery,
  ): Promise<PageOf<ListResponse>> {
    return PageOf.of(await this.lists.page(user.id, query), toListResponse);
  }

  @Post()
  @ApiOperation({ summary: 'Create a list (it goes last)', operationId: 'createList' })
  @ApiCreatedResponse({
    type: ListResponse,
    headers: { Location: { description: 'URL of the new list', schema: { type: 'string' } } },
  })
  @ApiProblem(409, `${NAME_TAKEN}, or you have 500 lists already (LIMIT_REACHED)`)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateListDto,
  ): Promise<WithHeaders<ListResponse>> {
    const list = await this.lists.create(user.id, dto);
    return new WithHeaders(toListResponse(list), {
      location: `/api/${user.id}/lists/${list.id}`,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one of your lists', operationId: 'getList' })
  @ApiOkResponse({ type: ListResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED)')
  @ApiProblem(404, LIST_NOT_FOUND)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<ListResponse> {
    return toListResponse(await this.lists.get(user.id, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or recolour a list', operationId: 'updateList' })
  @ApiOkResponse({ type: ListResponse })
  @ApiProblem(404, LIST_NOT_FOUND)
  @ApiProblem(409, NAME_TAKEN)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateListDto,
  ): Promise<ListResponse> {
    return toListResponse(await this.lists.update(user.id, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a list and its tasks',
    description: 'Its tasks (and their subtasks) go with it, in one transaction.',
    operationId: 'deleteList',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED)')
  @ApiProblem(404, LIST_NOT_FOUND)
  @ApiProblem(409, 'Your default list can be renamed, not deleted (DEFAULT_LIST)')
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.lists.remove(user.id, id);
  }

  @Post(':id/move')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move a list in your manual order',
    description:
      'Next to another of your lists (`before` or `after` its id), or last with neither.',
    operationId: 'moveList',
  })
  @ApiOkResponse({ type: ListResponse })
  @ApiProblem(404, LIST_NOT_FOUND)
  async move(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: MoveListDto,
  ): Promise<ListResponse> {
    return toListResponse(await this.lists.move(user.id, id, dto));
  }
}
