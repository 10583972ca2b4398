import { MigrationInterface, QueryRunner } from 'typeorm';

/** Must stay equal to the list query's rank expression (tasks/tasks.repository.ts) for the index to serve it. */
const PRIORITY_RANK_SQL = `CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

/**
 * Issue 5: one index per list sort (owner first, id last so keyset paging is an index range),
 * GIN for tags, trigram indexes for `q`, and the Idempotency-Key store.
 *
 * due_date gets two indexes because tasks without a due date come last in BOTH orders: a
 * backward scan of a NULLS LAST index would put them first. pg_trgm ships with PostgreSQL
 * (contrib) and is trusted, but a managed server may lack it or deny CREATE EXTENSION: then the
 * trigram indexes are skipped and `q` falls back to scanning the owner's rows.
 */
export class TaskListsAndIdempotency1764000000500 implements MigrationInterface {
  name = 'TaskListsAndIdempotency1764000000500';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX tasks_user_updated_idx ON tasks (user_id, updated_at, id)`);
    await db.query(
      `CREATE INDEX tasks_user_due_asc_idx ON tasks (user_id, due_date ASC NULLS LAST, id ASC)`,
    );
    await db.query(
      `CREATE INDEX tasks_user_due_desc_idx ON tasks (user_id, due_date DESC NULLS LAST, id DESC)`,
    );
    await db.query(
      `CREATE INDEX tasks_user_priority_idx ON tasks (user_id, (${PRIORITY_RANK_SQL}), id)`,
    );
    await db.query(`CREATE INDEX tasks_tags_idx ON tasks USING gin (tags)`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
          CREATE EXTENSION IF NOT EXISTS pg_trgm;
        END IF;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'pg_trgm not installed (no privilege): q will not use a trigram index';
      END
      $$`);
    await db.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
          CREATE INDEX tasks_title_trgm_idx ON tasks USING gin (title gin_trgm_ops);
          CREATE INDEX tasks_description_trgm_idx ON tasks USING gin (description gin_trgm_ops);
        END IF;
      END
      $$`);

    await db.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status integer,
        response_headers jsonb,
        response_body json,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE idempotency_keys`);
    for (const index of [
      'tasks_description_trgm_idx',
      'tasks_title_trgm_idx',
      'tasks_tags_idx',
      'tasks_user_priority_idx',
      'tasks_user_due_desc_idx',
      'tasks_user_due_asc_idx',
      'tasks_user_updated_idx',
    ]) {
      await db.query(`DROP INDEX IF EXISTS ${index}`);
    }
  }
}
