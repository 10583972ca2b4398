import { Module } from '@nestjs/common';
import { IdempotencyRepository } from '../common/idempotency.repository';
import { IdempotencyStore } from '../common/idempotency';
import { cursorCodecProvider } from '../common/paging';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  controllers: [TasksController],
  providers: [
    TasksService,
    TasksRepository,
    IdempotencyStore,
    IdempotencyRepository,
    cursorCodecProvider,
  ],
  // The admin's task lists and stats.
  exports: [TasksRepository],
})
export class TasksModule {}
