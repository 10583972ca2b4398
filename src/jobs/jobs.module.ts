import { Global, Module } from '@nestjs/common';
import { JobsService } from './jobs.service';

/** Background jobs (JobsService), global: a feature defines its jobs in its own onModuleInit. */
@Global()
@Module({ providers: [JobsService], exports: [JobsService] })
export class JobsModule {}
