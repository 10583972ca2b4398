import { MigrationInterface, QueryRunner } from 'typeorm';
import { MAKE_EVENT, SCHEDULE_WEBHOOK_ATTEMPT } from './1764300000000-Webhooks';

/**
 * Issue 16: a change's webhook event is written to an outbox, `webhook_events`, in the change's
 * transaction; the deliveries and their jobs are made from it after the commit, by any instance
 * (webhooks/webhook-dispatcher.ts), which deletes the event in the same statement. So a
 * rolled-back change still makes no event and a committed one is never lost (the outbox row is
 * part of the commit), while the writer's transaction does one small insert instead of a
 * delivery row and a job row per webhook: a user's writes queue on their list's lock until the
 * commit, so every row written in the transaction is paid once per write in a row.
 *
 * One event per object per transaction, as before: a later change of the object in the same
 * transaction rewrites its event only when the new one says more (created > deleted > restored >
 * completed > updated). `changes_entity_idx` served that lookup in the change log, and
 * `webhook_deliveries_entity_idx` the deletion of the replaced deliveries; both go.
 *
 * A job may carry several deliveries' attempts (`deliveryIds`): the dispatch makes one job per
 * ten deliveries, where each delivery had a job of its own (a pg-boss row inserted, taken and
 * completed per delivery). A retry stays one delivery's job.
 *
 * No foreign key to users: its check would lock the user's row for every event; the events of a
 * deleted user match no webhook (those cascade) and are dropped by the next dispatch.
 */
/** This migration's make_event (events to the outbox); migration 1764800000000's down restores it. */
export const OUTBOX_MAKE_EVENT = `
      CREATE OR REPLACE FUNCTION make_event(
          p_user uuid, p_entity text, p_entity_id uuid, p_op text, p_event text)
        RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        earlier webhook_events;
        data jsonb;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM webhooks WHERE user_id = p_user AND active) THEN
          RETURN;
        END IF;
        SELECT * INTO earlier FROM webhook_events
         WHERE user_id = p_user AND entity_id = p_entity_id AND xmin = pg_current_xact_id()::xid;
        IF earlier.id IS NOT NULL AND event_rank(p_event) <= event_rank(earlier.type) THEN
          RETURN;
        END IF;
        IF p_op = 'delete' THEN
          data := jsonb_build_object('id', p_entity_id);
        ELSIF p_entity = 'task' THEN
          SELECT task_json(t) INTO data FROM task_rows t WHERE t.id = p_entity_id;
        ELSE
          SELECT list_json(l) INTO data FROM lists l WHERE l.id = p_entity_id;
        END IF;
        data := jsonb_build_object('type', p_event, 'timestamp', api_time(now()), 'data', data);
        IF earlier.id IS NULL THEN
          INSERT INTO webhook_events (user_id, entity_id, type, payload)
            VALUES (p_user, p_entity_id, p_event, data);
        ELSE
          UPDATE webhook_events SET type = p_event, payload = data WHERE id = earlier.id;
        END IF;
      END
      $$`;

export class WebhookOutbox1764700000000 implements MigrationInterface {
  name = 'WebhookOutbox1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        entity_id uuid NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhook_events_entity_idx ON webhook_events (user_id, entity_id)`);
    // A queue table: every row is deleted within a second of its insert, and the dispatch reads
    // the heap from its start, dead rows too. Vacuumed after every 1,000 dead rows, not after 20%
    // of a table that is always nearly empty (autovacuum's default, which would let it grow).
    await db.query(`
      ALTER TABLE webhook_events
        SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`);
    // A delivery is updated twice (its claim, its outcome): room on its page keeps those updates
    // HOT (no new index entries).
    await db.query(`ALTER TABLE webhook_deliveries SET (fillfactor = 80)`);
    // Only the old merge deleted deliveries by their object.
    await db.query(`DROP INDEX webhook_deliveries_entity_idx`);
    await db.query(OUTBOX_MAKE_EVENT);
    await db.query(`DROP INDEX changes_entity_idx`);
    // The queue's settings are JobsService's CONSUMER_QUEUE, as before.
    await db.query(`
      CREATE FUNCTION schedule_webhook_attempts(deliveries uuid[], at timestamptz)
        RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO pgboss.job (name, data, start_after, expire_in, retry_limit, retry_delay,
                                retry_backoff)
        VALUES ('webhooks.deliver', jsonb_build_object('deliveryIds', to_jsonb(deliveries)), at,
                interval '1 minute', 5, 5, true);
      END
      $$`);
    await db.query(`
      CREATE OR REPLACE FUNCTION schedule_webhook_attempt(delivery uuid, at timestamptz)
        RETURNS void LANGUAGE sql AS $$ SELECT schedule_webhook_attempts(ARRAY[delivery], at) $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    // (Jobs queued with several deliveries are left to a build that reads them.)
    await db.query(SCHEDULE_WEBHOOK_ATTEMPT);
    await db.query(`DROP FUNCTION schedule_webhook_attempts(uuid[], timestamptz)`);
    await db.query(`CREATE INDEX changes_entity_idx ON changes (user_id, entity_id, seq)`);
    await db.query(MAKE_EVENT);
    // The events not yet fanned out get their deliveries, as the dispatcher would have made them.
    await db.query(`LOCK TABLE webhook_events`);
    await db.query(`
      WITH deliveries AS (
        INSERT INTO webhook_deliveries (webhook_id, user_id, entity_id, event_id, type, payload,
                                        created_at)
        SELECT w.id, e.user_id, e.entity_id, e.id, e.type, e.payload, e.created_at
          FROM webhook_events e
          JOIN webhooks w ON w.user_id = e.user_id AND w.active AND w.created_at <= e.created_at
                         AND (e.type = ANY (w.events) OR '*' = ANY (w.events))
        RETURNING id)
      SELECT count(*) FROM (SELECT schedule_webhook_attempt(id, now()) FROM deliveries) scheduled`);
    await db.query(`DROP TABLE webhook_events`);
    await db.query(`ALTER TABLE webhook_deliveries RESET (fillfactor)`);
    await db.query(
      `CREATE INDEX webhook_deliveries_entity_idx ON webhook_deliveries (user_id, entity_id)`,
    );
  }
}
