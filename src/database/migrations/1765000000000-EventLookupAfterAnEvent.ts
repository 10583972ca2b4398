import { MigrationInterface, QueryRunner } from 'typeorm';
import { CHEAPER_MAKE_EVENT } from './1764800000000-CheaperWebhookEvents';

/**
 * Issue 16: make_event looks for an earlier event of the same object in the transaction (to keep
 * one event per object) only once the transaction has written an event at all: a transaction
 * setting `task_api.events_written` (local to it, so it is gone at the commit, and undone with a
 * savepoint rolled back) with its first event. Most writes change one object and make one event,
 * and their lookup, by (user_id, entity_id) in the outbox, walked every entry that the object's
 * earlier events (dispatched, deleted, not yet vacuumed) had left in its index: 96 µs per event
 * where a user toggled their tasks at 900 per second, against 20 µs for a created event, which
 * never looks. The bodies and the one-event-per-change rule are the same.
 */
export class EventLookupAfterAnEvent1765000000000 implements MigrationInterface {
  name = 'EventLookupAfterAnEvent1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION make_event(
          p_user uuid, p_entity text, p_entity_id uuid, p_op text, p_event text)
        RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        earlier webhook_events;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM webhooks WHERE user_id = p_user AND active) THEN
          RETURN;
        END IF;
        IF current_setting('task_api.events_written', true) IS DISTINCT FROM 'yes' THEN
          PERFORM set_config('task_api.events_written', 'yes', true);
        ELSIF split_part(p_event, '.', 2) <> 'created' THEN
          SELECT * INTO earlier FROM webhook_events
           WHERE user_id = p_user AND entity_id = p_entity_id AND xmin = pg_current_xact_id()::xid;
          IF earlier.id IS NOT NULL THEN
            IF event_rank(p_event) <= event_rank(earlier.type) THEN RETURN; END IF;
            -- (never dispatched, being uncommitted: no receiver saw its id)
            DELETE FROM webhook_events WHERE id = earlier.id;
          END IF;
        END IF;
        IF p_op = 'delete' THEN
          INSERT INTO webhook_events (user_id, entity_id, type, payload)
            VALUES (p_user, p_entity_id, p_event,
                    jsonb_build_object('type', p_event, 'timestamp', api_time(now()),
                                       'data', jsonb_build_object('id', p_entity_id)));
        ELSIF p_entity = 'task' THEN
          INSERT INTO webhook_events (user_id, entity_id, type, payload)
            SELECT p_user, p_entity_id, p_event,
                   jsonb_build_object('type', p_event, 'timestamp', api_time(now()),
                                      'data', task_json(t))
              FROM task_rows t WHERE t.id = p_entity_id;
        ELSE
          INSERT INTO webhook_events (user_id, entity_id, type, payload)
            SELECT p_user, p_entity_id, p_event,
                   jsonb_build_object('type', p_event, 'timestamp', api_time(now()),
                                      'data', list_json(l))
              FROM lists l WHERE l.id = p_entity_id;
        END IF;
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(CHEAPER_MAKE_EVENT);
  }
}
