import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: webhooks, fed by the change log of migration 1764200000000.
 *
 * - `webhooks`: a user's subscriptions. `secret` is the signing secret encrypted with AES-256-GCM
 *   under a key derived from JWT_SECRET (webhooks/webhook-secrets.ts): needed in clear to sign,
 *   so it cannot be hashed.
 * - Events are made by record_change, as the change log's deferred triggers record each change
 *   at the commit: a rolled-back change makes none, a committed one has its deliveries and their
 *   jobs in the same commit (nothing lost to a crash). They are made before the change takes the
 *   owner's counter lock: a user's commits queue on that lock, so work done under it is paid
 *   once per write in a row, where work done before it runs side by side. One event per object
 *   per transaction: a second change of the same object in one transaction (a PATCH that moves a
 *   task and completes it) keeps the event that says most (created > deleted > restored >
 *   completed > updated), its deliveries replacing the first's.
 * - `webhook_deliveries`: one per event and matching active webhook, with the body (`payload`,
 *   built once so every retry sends the same bytes), the task or list it is about (`entity_id`,
 *   NULL for a test ping) and its attempts. Each attempt is a job of
 *   the pg-boss queue `webhooks.deliver`, inserted by SQL (pg-boss supports raw inserts) in the
 *   same transaction; `claimed_until` keeps two workers from sending one attempt at once.
 */
/** One attempt of a delivery as a job; migration 1764700000000 replaces it, its down restores this. */
export const SCHEDULE_WEBHOOK_ATTEMPT = `
      CREATE OR REPLACE FUNCTION schedule_webhook_attempt(delivery uuid, at timestamptz)
        RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO pgboss.job (name, data, start_after, expire_in, retry_limit, retry_delay,
                                retry_backoff)
        VALUES ('webhooks.deliver', jsonb_build_object('deliveryId', delivery), at,
                interval '1 minute', 5, 5, true);
      END
      $$`;

/**
 * The event's deliveries: one per matching active webhook of the owner, each with its job. A
 * later change of the same object in the same transaction makes them again only when its event
 * says more, replacing the earlier ones. Runs before the change is numbered. Migration
 * 1764700000000 replaces it (events to an outbox, fanned out after the commit); its down
 * restores this.
 */
export const MAKE_EVENT = `
      CREATE OR REPLACE FUNCTION make_event(
          p_user uuid, p_entity text, p_entity_id uuid, p_op text, p_event text)
        RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        earlier_event text;
        data jsonb;
        delivery uuid;
        event_id uuid := gen_random_uuid();
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM webhooks WHERE user_id = p_user AND active) THEN
          RETURN;
        END IF;
        SELECT event INTO earlier_event FROM changes
         WHERE user_id = p_user AND entity_id = p_entity_id AND entity = p_entity
           AND event IS NOT NULL AND xmin = pg_current_xact_id()::xid
         ORDER BY seq DESC LIMIT 1;
        IF FOUND THEN
          IF event_rank(p_event) <= event_rank(earlier_event) THEN RETURN; END IF;
          DELETE FROM webhook_deliveries
           WHERE user_id = p_user AND entity_id = p_entity_id AND xmin = pg_current_xact_id()::xid;
        END IF;
        IF p_op = 'delete' THEN
          data := jsonb_build_object('id', p_entity_id);
        ELSIF p_entity = 'task' THEN
          SELECT task_json(t) INTO data FROM task_rows t WHERE t.id = p_entity_id;
        ELSE
          SELECT list_json(l) INTO data FROM lists l WHERE l.id = p_entity_id;
        END IF;
        FOR delivery IN
          INSERT INTO webhook_deliveries (webhook_id, user_id, entity_id, event_id, type, payload)
          SELECT w.id, p_user, p_entity_id, event_id, p_event,
                 jsonb_build_object('type', p_event, 'timestamp', api_time(now()), 'data', data)
            FROM webhooks w
           WHERE w.user_id = p_user AND w.active
             AND (p_event = ANY (w.events) OR '*' = ANY (w.events))
          RETURNING id
        LOOP
          PERFORM schedule_webhook_attempt(delivery, now());
        END LOOP;
      END
      $$`;

export class Webhooks1764300000000 implements MigrationInterface {
  name = 'Webhooks1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        url text NOT NULL CHECK (char_length(url) <= 2048),
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        description varchar(500),
        active boolean NOT NULL DEFAULT true,
        secret bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhooks_user_idx ON webhooks (user_id, created_at, id)`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        entity_id uuid,
        event_id uuid NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        response_status int,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        next_attempt_at timestamptz DEFAULT now(),
        claimed_until timestamptz
      )`);
    await db.query(
      `CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id)`,
    );
    await db.query(
      `CREATE INDEX webhook_deliveries_entity_idx ON webhook_deliveries (user_id, entity_id)`,
    );
    // The merge of a transaction's changes of one object looks its earlier change up by id.
    await db.query(`CREATE INDEX changes_entity_idx ON changes (user_id, entity_id, seq)`);

    // The JSON of a Task and a List exactly as the API answers them (task.mapper.ts,
    // lists.controller.ts toListResponse); the webhook tests compare the two.
    await db.query(`
      CREATE FUNCTION api_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);
    await db.query(`
      CREATE FUNCTION task_json(t task_rows) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'id', t.id, 'user_id', t.user_id, 'list_id', t.list_id, 'parent_id', t.parent_id,
          'position', t.position, 'title', t.title, 'description', t.description,
          'completed', t.completed, 'completed_at', api_time(t.completed_at),
          'priority', t.priority, 'due_date', api_time(t.due_date), 'tags', to_jsonb(t.tags),
          'recurrence', t.recurrence, 'timezone', t.timezone,
          'created_at', api_time(t.created_at), 'updated_at', api_time(t.updated_at))
      $$`);
    await db.query(`
      CREATE FUNCTION list_json(l lists) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'id', l.id, 'user_id', l.user_id, 'name', l.name, 'color', l.color,
          'position', l.position, 'is_default', l.is_default,
          'task_count', (SELECT count(*) FROM tasks t WHERE t.list_id = l.id),
          'pending_count', (SELECT count(*) FROM tasks t WHERE t.list_id = l.id AND NOT t.completed),
          'created_at', api_time(l.created_at), 'updated_at', api_time(l.updated_at))
      $$`);
    await db.query(`
      CREATE FUNCTION event_rank(event text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE split_part(event, '.', 2)
          WHEN 'created' THEN 5 WHEN 'deleted' THEN 4 WHEN 'restored' THEN 3
          WHEN 'completed' THEN 2 WHEN 'updated' THEN 1 ELSE 0 END
      $$`);
    // One attempt of a delivery, as a job of the queue (pg-boss's documented raw insert; the
    // queue's settings are JobsService's CONSUMER_QUEUE). plpgsql: the pgboss schema is installed
    // after these migrations, and a plpgsql body is only resolved when it runs.
    await db.query(SCHEDULE_WEBHOOK_ATTEMPT);
    await db.query(MAKE_EVENT);
    // record_change (migration 1764200000000) becomes: the event, then the numbered change.
    await db.query(`
      ALTER FUNCTION record_change(uuid, text, uuid, text, text) RENAME TO record_numbered_change`);
    await db.query(`
      CREATE FUNCTION record_change(
          p_user uuid, p_entity text, p_entity_id uuid, p_op text, p_event text)
        RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_event IS NOT NULL THEN
          PERFORM make_event(p_user, p_entity, p_entity_id, p_op, p_event);
        END IF;
        PERFORM record_numbered_change(p_user, p_entity, p_entity_id, p_op, p_event);
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION record_change(uuid, text, uuid, text, text)`);
    await db.query(`
      ALTER FUNCTION record_numbered_change(uuid, text, uuid, text, text) RENAME TO record_change`);
    await db.query(`DROP FUNCTION make_event(uuid, text, uuid, text, text)`);
    await db.query(`DROP FUNCTION schedule_webhook_attempt(uuid, timestamptz)`);
    await db.query(`DROP FUNCTION event_rank(text), list_json(lists), task_json(task_rows)`);
    await db.query(`DROP FUNCTION api_time(timestamptz)`);
    await db.query(`DROP INDEX changes_entity_idx`);
    await db.query(`DROP TABLE webhook_deliveries, webhooks`);
  }
}
