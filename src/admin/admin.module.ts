import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { RolesGuard } from '../auth/roles.guard';
import { cursorCodecProvider } from '../common/paging';
import { Task } from '../tasks/task.entity';
import { TasksModule } from '../tasks/tasks.module';
import { AdminBootstrap } from './admin-bootstrap';
import { AdminTasksService } from './admin-tasks.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminController } from './admin.controller';
import { AuditEntry } from './audit-entry.entity';
import { AuditLogService } from './audit-log.service';

@Module({
  imports: [AuthModule, TasksModule, TypeOrmModule.forFeature([AuditEntry, Task])],
  controllers: [AdminUsersController, AdminController],
  providers: [
    AdminUsersService,
    AdminTasksService,
    AuditLogService,
    AdminBootstrap,
    RolesGuard,
    cursorCodecProvider,
  ],
})
export class AdminModule {}
