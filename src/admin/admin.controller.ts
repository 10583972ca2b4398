import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminOnly } from '../auth/admin-only.decorator';
import { ListRoute } from '../common/list-route.decorator';
import { PageQuery } from '../common/paging';
import { PageOf } from '../common/response';
import { TaskResponse } from '../tasks/dto/task.dto';
import { toTaskResponse } from '../tasks/task.mapper';
import { AdminTasksService } from './admin-tasks.service';
import { AuditLogService, toAuditEntryResponse } from './audit-log.service';
import { AdminListTasksQuery, AuditEntryResponse, StatsResponse } from './dto/admin.dto';

/** What spans users: every task, the live numbers, the audit trail. */
@AdminOnly()
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly tasks: AdminTasksService,
    private readonly audit: AuditLogService,
  ) {}

  @Get('tasks')
  @ListRoute({ summary: "Every user's tasks", operationId: 'listAllTasks' }, TaskResponse)
  async listTasks(@Query() query: AdminListTasksQuery): Promise<PageOf<TaskResponse>> {
    return PageOf.of(await this.tasks.list(query), toTaskResponse);
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Live numbers',
    description:
      'Overdue: not completed and due date in the past. Exact, and as fast with millions of tasks as with ten: read from counters kept in the transaction of every write.',
    operationId: 'getStats',
  })
  @ApiOkResponse({ type: StatsResponse })
  stats(): Promise<StatsResponse> {
    return this.tasks.stats();
  }

  @Get('audit-log')
  @ListRoute(
    { summary: 'Every admin change, newest first', operationId: 'listAuditLog' },
    AuditEntryResponse,
  )
  async auditLog(@Query() query: PageQuery): Promise<PageOf<AuditEntryResponse>> {
    return PageOf.of(await this.audit.list(query), toAuditEntryResponse);
  }
}
