import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, their logins and their tasks. The database itself guarantees what the contract bounds:
 * a task cannot exist without its owner, and titles, descriptions and priorities stay in range
 * whatever the application does.
 */
export class Init1763900000000 implements MigrationInterface {
  name = 'Init1763900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
        password_hash text NOT NULL,
        name varchar(100),
        role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
        banned boolean NOT NULL DEFAULT false,
        ban_reason text CHECK (char_length(ban_reason) <= 500),
        banned_at timestamptz,
        last_login_at timestamptz,
        token_version integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await db.query(`CREATE INDEX users_created_at_id_idx ON users (created_at, id)`);

    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_agent text,
        ip text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at)`);

    await db.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`);

    await db.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title varchar(200) NOT NULL CHECK (char_length(btrim(title)) BETWEEN 1 AND 200),
        description text CHECK (char_length(description) <= 1000),
        completed boolean NOT NULL DEFAULT false,
        completed_at timestamptz,
        priority text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
        due_date timestamptz,
        tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (completed = (completed_at IS NOT NULL))
      )`);
    await db.query(
      `CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC)`,
    );
    await db.query(`CREATE INDEX tasks_user_title_idx ON tasks (user_id, lower(title), id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE tasks`);
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE sessions`);
    await db.query(`DROP TABLE users`);
  }
}
