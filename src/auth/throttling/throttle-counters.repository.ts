import type { Sql } from '../../database/sql';
import { CounterStore, Hit } from './counter-store';

/** Expired rows are swept now and then by the hits themselves: no scheduler needed. */
const SWEEP_PROBABILITY = 0.01;

/** The counter store on PostgreSQL: every query of `throttle_counters`, one upsert per hit. */
export class ThrottleCountersRepository extends CounterStore {
  constructor(private readonly sql: Sql) {
    super();
  }

  async hit(key: string, windowSeconds: number): Promise<Hit> {
    if (Math.random() < SWEEP_PROBABILITY) {
      await this.sql.execute(`DELETE FROM throttle_counters WHERE window_ends_at <= now()`);
    }
    const row = await this.sql.one<{ hits: number; seconds_left: number }>(
      `INSERT INTO throttle_counters AS c (key, hits, window_ends_at)
            VALUES ($1, 1, now() + make_interval(secs => $2))
       ON CONFLICT (key) DO UPDATE SET
            hits = CASE WHEN c.window_ends_at <= now() THEN 1 ELSE c.hits + 1 END,
            window_ends_at = CASE WHEN c.window_ends_at <= now()
                                  THEN excluded.window_ends_at ELSE c.window_ends_at END
       RETURNING hits, ceil(extract(epoch FROM window_ends_at - now()))::int AS seconds_left`,
      [key, windowSeconds],
    );
    return { hits: row!.hits, secondsLeft: Math.max(1, row!.seconds_left) };
  }

  async unhit(key: string): Promise<void> {
    await this.sql.execute(
      `UPDATE throttle_counters SET hits = hits - 1
        WHERE key = $1 AND hits > 0 AND window_ends_at > now()`,
      [key],
    );
  }

  async reset(key: string): Promise<void> {
    await this.sql.execute(`DELETE FROM throttle_counters WHERE key = $1`, [key]);
  }
}
