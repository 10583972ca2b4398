import { Get, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { ApiProblem, ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/current-user.decorator';
import { OwnerRoutes } from '../common/owner-routes.decorator';
import { ListResponse } from '../lists/dto/list.dto';
import { TaskResponse } from '../tasks/dto/task.dto';
import { ChangesQuery, ChangesResponse } from './dto/changes.dto';
import { ChangesService } from './changes.service';

@OwnerRoutes('Sync', 'changes')
@ApiExtraModels(TaskResponse, ListResponse)
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    summary: 'The change feed: a full snapshot, then what changed since',
    description:
      'Without `since`: every task and list as an `upsert`, paged (call again with `next_since` while `has_more`). With `since`: every task and list created, changed, trashed, restored or deleted since, each once in its latest state (trashed or deleted: `op: "delete"`, `data: null`). Applying the answers in order gives exactly the server’s state at the last `next_since`, whatever order concurrent writes commit in. A `since` older than CHANGES_RETENTION (30 days by default) is 410 SYNC_EXPIRED: start again with a snapshot.',
    operationId: 'listChanges',
  })
  @ApiOkResponse({ type: ChangesResponse })
  @ApiProblems(400)
  @ApiProblem(410, 'since is older than the feed remembers (SYNC_EXPIRED): take a full snapshot')
  feed(@CurrentUser() user: AuthUser, @Query() query: ChangesQuery): Promise<ChangesResponse> {
    return this.changes.feed(user.id, query.since, query.limit);
  }
}
