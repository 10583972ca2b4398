import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fixed-window counters for login throttling and the auth rate limit, shared by every instance
 * of the API when no Redis is configured. A row whose window has ended counts as absent.
 */
export class ThrottleCounters1764000000000 implements MigrationInterface {
  name = 'ThrottleCounters1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE throttle_counters (
        key text PRIMARY KEY,
        hits integer NOT NULL CHECK (hits >= 0),
        window_ends_at timestamptz NOT NULL
      )`);
    await db.query(
      `CREATE INDEX throttle_counters_window_ends_at_idx ON throttle_counters (window_ends_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE throttle_counters`);
  }
}
