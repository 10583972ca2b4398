import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RolesGuard } from '../auth/roles.guard';
import { TasksModule } from '../tasks/tasks.module';
import { AdminBootstrap } from './admin-bootstrap';
import { AdminStatsRepository } from './admin-stats.repository';
import { AdminTasksService } from './admin-tasks.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminUsersService } from './admin-users.service';
import { AdminController } from './admin.controller';
import { AuditLogRepository } from './audit-log.repository';
import { AuditLogService } from './audit-log.service';

@Module({
  imports: [AuthModule, TasksModule],
  controllers: [AdminUsersController, AdminController],
  providers: [
    AdminUsersService,
    AdminUsersRepository,
    AdminTasksService,
    AdminStatsRepository,
    AuditLogService,
    AuditLogRepository,
    AdminBootstrap,
    RolesGuard,
  ],
})
export class AdminModule {}
