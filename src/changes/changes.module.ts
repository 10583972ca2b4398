import { Module } from '@nestjs/common';
import { ListsModule } from '../lists/lists.module';
import { TasksModule } from '../tasks/tasks.module';
import { ChangesController } from './changes.controller';
import { ChangesRepository } from './changes.repository';
import { ChangesService } from './changes.service';

@Module({
  imports: [TasksModule, ListsModule],
  controllers: [ChangesController],
  providers: [ChangesService, ChangesRepository],
})
export class ChangesModule {}
