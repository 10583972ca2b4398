import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly } from '../auth/admin-only.decorator';
import { ApiProblems } from '../common/api-problems.decorator';
import { TaskResponse } from '../tasks/dto/task.dto';
import { toTaskResponse } from '../tasks/task.mapper';
import { TOTAL_COUNT } from './admin-users.controller';
import { AdminTasksService } from './admin-tasks.service';
import { AuditLogService, toAuditEntryResponse } from './audit-log.service';
import { AdminListTasksQuery, AuditEntryResponse, PageQuery, StatsResponse } from './dto/admin.dto';

/** What spans users: every task, the live numbers, the audit trail. */
@AdminOnly()
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly tasks: AdminTasksService,
    private readonly audit: AuditLogService,
  ) {}

  @Get('tasks')
  @ApiOperation({ summary: "Every user's tasks", operationId: 'listAllTasks' })
  @ApiOkResponse({ type: [TaskResponse], headers: TOTAL_COUNT })
  @ApiProblems(400)
  async listTasks(
    @Query() query: AdminListTasksQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse[]> {
    const page = await this.tasks.list(query, query.user_id);
    reply.header('x-total-count', String(page.total));
    return page.tasks.map(toTaskResponse);
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Live numbers',
    description: 'Overdue: not completed and due date in the past.',
    operationId: 'getStats',
  })
  @ApiOkResponse({ type: StatsResponse })
  stats(): Promise<StatsResponse> {
    return this.tasks.stats();
  }

  @Get('audit-log')
  @ApiOperation({ summary: 'Every admin change, newest first', operationId: 'listAuditLog' })
  @ApiOkResponse({ type: [AuditEntryResponse], headers: TOTAL_COUNT })
  @ApiProblems(400)
  async auditLog(
    @Query() query: PageQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditEntryResponse[]> {
    const page = await this.audit.list(query);
    reply.header('x-total-count', String(page.total));
    return page.entries.map(toAuditEntryResponse);
  }
}
