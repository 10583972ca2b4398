// TEMPORARY stand-in until the pg-boss JobsModule (branch i15-jobs) is merged.
import { Global, Injectable, Module } from '@nestjs/common';

@Injectable()
export class JobsService {
  private readonly jobs = new Map<string, () => Promise<unknown>>();
  define(name: string, _cron: string, run: () => Promise<unknown>) {
    this.jobs.set(name, run);
  }
  async runNow(name: string): Promise<void> {
    await this.jobs.get(name)!();
  }
}

@Global()
@Module({ providers: [JobsService], exports: [JobsService] })
export class JobsModule {}
