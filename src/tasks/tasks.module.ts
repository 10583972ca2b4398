import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyStore } from '../common/idempotency';
import { cursorCodecProvider } from '../common/paging';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';
import { Task } from './task.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Task])],
  controllers: [TasksController],
  providers: [TasksService, IdempotencyStore, cursorCodecProvider],
  exports: [TasksService],
})
export class TasksModule {}
