import { ModulesContainer } from '@nestjs/core';
import type { TestApp } from './test-app';

/** The background jobs of issue 15 (pg-boss), by their queue names. */
export type JobName = 'trash.purge' | 'changes.purge';

interface Jobs {
  runNow(name: JobName): Promise<unknown>;
}

/**
 * Runs a background job at once, on this app, and waits for it: the job runner's own entry point
 * (`JobsService.runNow` of src/jobs/jobs.service.ts), so a test need not wait for the schedule.
 *
 * TODO(issue 15): once src/jobs/jobs.service.ts is merged, this is simply
 * `t.app.get(JobsService).runNow(name)` with `import { JobsService } from
 * '../../src/jobs/jobs.service'`. It finds the provider by its class name until then, so that the
 * tests type-check on a branch where the module does not exist yet.
 */
export async function runJob(t: TestApp, name: JobName): Promise<unknown> {
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.providers.values()) {
      if (wrapper.metatype && wrapper.metatype.name === 'JobsService' && wrapper.instance) {
        return (wrapper.instance as Jobs).runNow(name);
      }
    }
  }
  throw new Error(`runJob(${name}): the app has no JobsService (src/jobs/jobs.service.ts)`);
}
