import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin audit trail and the indexes behind the admin lists. The audit log outlives what it
 * talks about: target_id and actor_id are plain ids, not foreign keys, so deleting a user (or
 * an admin) keeps every entry about it and by it intact.
 */
export class AuditLog1763950000000 implements MigrationInterface {
  name = 'AuditLog1763950000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor_id uuid,
        action text NOT NULL,
        target_type text NOT NULL CHECK (target_type IN ('user', 'task')),
        target_id uuid NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX audit_log_created_at_id_idx ON audit_log (created_at, id)`);
    await db.query(`CREATE INDEX users_email_id_idx ON users (email, id)`);
    await db.query(`CREATE INDEX users_last_login_at_id_idx ON users (last_login_at, id)`);
    await db.query(`CREATE INDEX tasks_created_at_id_idx ON tasks (created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX tasks_created_at_id_idx`);
    await db.query(`DROP INDEX users_last_login_at_id_idx`);
    await db.query(`DROP INDEX users_email_id_idx`);
    await db.query(`DROP TABLE audit_log`);
  }
}
