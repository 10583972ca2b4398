import { JobsService } from '../../src/jobs/jobs.service';
import type { TestApp } from './test-app';

/** The background jobs of issue 15 (pg-boss), by their queue names. */
export type JobName = 'trash.purge' | 'changes.purge' | 'stats.fold' | 'webhook-deliveries.purge';

/**
 * Runs a background job at once, on this app, and waits for it: the job runner's own entry point,
 * through the real queue, so a test need not wait for the schedule.
 */
export function runJob(t: TestApp, name: JobName): Promise<unknown> {
  return t.app.get(JobsService).runNow(name);
}
