/**
 * The two statements of pg-boss 10.4.2 (src/plans.js, which ships no types) that its workers run
 * without awaiting them: see `jobQueueDb` in job-queue.ts.
 */
declare module 'pg-boss/src/plans' {
  export function completeJobs(schema: string): string;
  export function failJobsById(schema: string): string;
}
