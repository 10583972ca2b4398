import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import type { StatsResponse } from './dto/admin.dto';

/**
 * The current UTC hour: the tasks due in it before now are counted through the due-date index;
 * those due in earlier hours are summed from task_due_stats (migration 1764600000000).
 */
const THIS_HOUR = `date_trunc('hour', now(), 'UTC')`;

/**
 * The live numbers, from the counters the triggers of migration 1764600000000 keep in the
 * transaction of every write: a few dozen rows read, however many users and tasks there are.
 */
@Injectable()
export class AdminStatsRepository {
  constructor(private readonly sql: Sql) {}

  /** One statement, so one snapshot: the numbers add up. */
  async stats(): Promise<StatsResponse> {
    const row = await this.sql.one<StatsResponse>(
      `SELECT
         (SELECT json_build_object(
                   'total', sum(users)::bigint, 'admins', sum(admins)::bigint,
                   'banned', sum(banned)::bigint)
            FROM user_stats) AS users,
         (SELECT json_build_object(
                   'total', sum(tasks)::bigint, 'completed', sum(completed)::bigint,
                   'pending', sum(tasks - completed)::bigint,
                   'overdue',
                   (SELECT coalesce(sum(pending), 0)::bigint FROM task_due_stats
                     WHERE due_hour < ${THIS_HOUR})
                   + (SELECT count(*) FROM tasks
                       WHERE NOT completed AND COALESCE(due_date, 'infinity') >= ${THIS_HOUR}
                         AND COALESCE(due_date, 'infinity') < now()))
            FROM task_stats) AS tasks`,
    );
    return { users: row!.users, tasks: row!.tasks };
  }

  /**
   * Folds the hours gone by into one row per shard, so the overdue sum stays a few rows long. One
   * statement: a reader sees the hours either before or after. Returns how many rows went.
   */
  async foldPastHours(): Promise<number> {
    const row = await this.sql.one<{ folded: number }>(
      `WITH folded AS (
         DELETE FROM task_due_stats WHERE due_hour > '-infinity' AND due_hour < ${THIS_HOUR}
         RETURNING shard, pending),
       added AS (
         INSERT INTO task_due_stats AS s (due_hour, shard, pending)
         SELECT '-infinity', shard, sum(pending) FROM folded GROUP BY shard ORDER BY shard
         ON CONFLICT (due_hour, shard) DO UPDATE SET pending = s.pending + EXCLUDED.pending)
       SELECT count(*)::int AS folded FROM folded`,
    );
    return row!.folded;
  }
}
