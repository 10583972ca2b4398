import { Module } from '@nestjs/common';
import { IdempotencyRepository } from '../common/idempotency.repository';
import { IdempotencyStore } from '../common/idempotency';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';
import { TrashController } from './trash.controller';
import { TrashRepository } from './trash.repository';
import { TrashService } from './trash.service';

@Module({
  controllers: [TasksController, TrashController],
  providers: [
    TasksService,
    TasksRepository,
    TrashService,
    TrashRepository,
    IdempotencyStore,
    IdempotencyRepository,
  ],
  // The admin's task lists and stats.
  exports: [TasksRepository],
})
export class TasksModule {}
