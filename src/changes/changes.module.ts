import { Module } from '@nestjs/common';
import { cursorCodecProvider } from '../common/paging';
import { ListsModule } from '../lists/lists.module';
import { TasksModule } from '../tasks/tasks.module';
import { ChangesController } from './changes.controller';
import { ChangesRepository } from './changes.repository';
import { ChangesService } from './changes.service';

@Module({
  imports: [TasksModule, ListsModule],
  controllers: [ChangesController],
  providers: [ChangesService, ChangesRepository, cursorCodecProvider],
})
export class ChangesModule {}
