import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15: the trash, and the change log behind the change feed (and, later, webhooks).
 *
 * The trash. Every task row lives in the table `task_rows`; a trashed one has `deleted_at` set and
 * `trashed_with` naming the task whose deletion took it there (itself, or the parent it went
 * with), so that a restore brings back exactly the subtasks that went with it. `tasks` is now a
 * view of the live rows (`WHERE deleted_at IS NULL`), automatically updatable, so every query of
 * the API that names `tasks` (reads, writes, counts, the admin's lists and stats) cannot see a
 * trashed task, and a newcomer's new query cannot forget to leave them out. Only the trash's own
 * queries name `task_rows`. The live indexes are partial (`WHERE deleted_at IS NULL`), which the
 * view's condition matches, so live queries cost what they did; trashed rows get two indexes of
 * their own (the owner's trash, newest first; the purge by age). A column added to `task_rows`
 * later must be added to the view too (it was created with `SELECT *`, which PostgreSQL expands
 * once).
 *
 * Deleting a list moves its tasks to the trash first (ListsRepository.delete): the foreign key from
 * tasks to lists no longer cascades (NO ACTION), so a list delete that forgot them would fail
 * rather than lose them, and trashed tasks whose list is gone have `list_id` NULL.
 *
 * The change log. `changes` holds one row per change of a task or a list as a client sees it:
 * created/changed (`upsert`) or gone (`delete`: trashed, deleted for good, list deleted), with the
 * webhook event it is, or NULL when only a derived value changed (a list's task counts). A
 * constraint trigger, deferred to commit, writes the rows of every statement on `task_rows` and
 * `lists`, whichever code path (or cascade) made it. At its first change a transaction locks the
 * owner's row of `change_counters` and holds the lock until it ends; each change then takes the
 * owner's next number (the newest in the log, plus one). So the owner's changes are numbered in
 * commit order: a transaction can only number its changes once the one before has committed or
 * rolled back (and a rollback takes its numbers with it), so a reader that sees n+1 sees
 * everything up to it, and the feed's `since` never skips a late commit. Taking the lock at
 * commit, after every other lock of the transaction, keeps it out of any lock cycle. Changes of a
 * user being deleted are not recorded (the user and its log go). `purged_seq`: the newest number
 * the retention purge has deleted (it always keeps the owner's newest change); a `since` below it
 * is 410.
 */
export class TrashAndChangeLog1764200000000 implements MigrationInterface {
  name = 'TrashAndChangeLog1764200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tasks RENAME TO task_rows`);
    await db.query(`
      ALTER TABLE task_rows
        ADD COLUMN deleted_at timestamptz,
        ADD COLUMN trashed_with uuid,
        ALTER COLUMN list_id DROP NOT NULL,
        ADD CONSTRAINT tasks_trashed_with_deleted
          CHECK ((deleted_at IS NULL) = (trashed_with IS NULL)),
        ADD CONSTRAINT tasks_live_in_a_list CHECK (deleted_at IS NOT NULL OR list_id IS NOT NULL),
        DROP CONSTRAINT tasks_list_fk,
        ADD CONSTRAINT tasks_list_fk FOREIGN KEY (list_id, user_id) REFERENCES lists (id, user_id)`);
    await db.query(`CREATE VIEW tasks AS SELECT * FROM task_rows WHERE deleted_at IS NULL`);

    // The live indexes become partial. The parent and list indexes stay whole: the foreign keys'
    // cascades and a list's delete look up trashed rows by them too.
    const indexes: { indexname: string; indexdef: string }[] = await db.query(`
      SELECT i.indexname, i.indexdef FROM pg_indexes i
       WHERE i.schemaname = current_schema() AND i.tablename = 'task_rows'
         AND i.indexname NOT IN ('tasks_parent_idx', 'tasks_list_created_idx')
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`);
    for (const { indexname, indexdef } of indexes) {
      const partial = indexdef.includes(' WHERE ')
        ? indexdef.replace(' WHERE ', ' WHERE deleted_at IS NULL AND ')
        : `${indexdef} WHERE deleted_at IS NULL`;
      await db.query(`DROP INDEX ${indexname}`);
      await db.query(partial);
    }
    await db.query(`
      CREATE INDEX tasks_trash_idx ON task_rows (user_id, deleted_at, id)
        WHERE deleted_at IS NOT NULL`);
    await db.query(
      `CREATE INDEX tasks_trash_age_idx ON task_rows (deleted_at) WHERE deleted_at IS NOT NULL`,
    );

    await db.query(`
      CREATE TABLE change_counters (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        purged_seq bigint NOT NULL DEFAULT 0
      )`);
    await db.query(`
      CREATE TABLE changes (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        entity text NOT NULL CHECK (entity IN ('task', 'list')),
        entity_id uuid NOT NULL,
        op text NOT NULL CHECK (op IN ('upsert', 'delete')),
        event text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, seq)
      )`);
    await db.query(`CREATE INDEX changes_created_at_idx ON changes (created_at)`);

    // The owner's counter row is locked at the transaction's first change (and only then: a row
    // updated once per change would cost a new row version each time, quadratic in a bulk change);
    // the numbers come from the log itself, whose newest row the purge always keeps.
    await db.query(`
      CREATE FUNCTION record_change(
          p_user uuid, p_entity text, p_entity_id uuid, p_op text, p_event text)
        RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        next_seq bigint;
      BEGIN
        IF current_setting('task_api.changes_locked_for', true) IS DISTINCT FROM p_user::text THEN
          INSERT INTO change_counters AS c (user_id)
            SELECT p_user WHERE EXISTS (SELECT 1 FROM users WHERE id = p_user)
            ON CONFLICT (user_id) DO UPDATE SET purged_seq = c.purged_seq;
          IF NOT FOUND THEN RETURN; END IF;
          PERFORM set_config('task_api.changes_locked_for', p_user::text, true);
        END IF;
        SELECT COALESCE(max(seq), 0) + 1 INTO next_seq FROM changes WHERE user_id = p_user;
        INSERT INTO changes (user_id, seq, entity, entity_id, op, event)
          VALUES (p_user, next_seq, p_entity, p_entity_id, p_op, p_event);
      END
      $$`);
    // A task change, and the change of the counts of the list(s) it leaves or joins.
    await db.query(`
      CREATE FUNCTION record_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_live boolean := TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL;
        is_live boolean := TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL;
        task task_rows := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      BEGIN
        -- A trashed task deleted for good is a change too (its feed delete again, task.deleted for
        -- good); one that stays in the trash (its list deleted) is not.
        IF NOT was_live AND NOT is_live THEN
          IF TG_OP = 'DELETE' THEN
            PERFORM record_change(OLD.user_id, 'task', OLD.id, 'delete', 'task.deleted');
          END IF;
          RETURN NULL;
        END IF;
        PERFORM record_change(task.user_id, 'task', task.id,
          CASE WHEN is_live THEN 'upsert' ELSE 'delete' END,
          CASE
            WHEN TG_OP = 'INSERT' THEN 'task.created'
            WHEN NOT was_live THEN 'task.restored'
            WHEN NOT is_live THEN 'task.deleted'
            WHEN NEW.completed AND NOT OLD.completed THEN 'task.completed'
            -- A recurring task's occurrence completed in this transaction: it moved on.
            WHEN NEW.due_date IS DISTINCT FROM OLD.due_date AND EXISTS (
              SELECT 1 FROM task_completions c
               WHERE c.task_id = NEW.id AND c.due_date = OLD.due_date AND c.completed_at = now())
              THEN 'task.completed'
            ELSE 'task.updated'
          END);
        IF was_live AND is_live AND OLD.list_id = NEW.list_id AND OLD.completed = NEW.completed THEN
          RETURN NULL;
        END IF;
        IF was_live THEN PERFORM record_change(OLD.user_id, 'list', OLD.list_id, 'upsert', NULL); END IF;
        IF is_live AND NOT (was_live AND OLD.list_id = NEW.list_id) THEN
          PERFORM record_change(NEW.user_id, 'list', NEW.list_id, 'upsert', NULL);
        END IF;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE FUNCTION record_list_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM record_change(OLD.user_id, 'list', OLD.id, 'delete', 'list.deleted');
        ELSE
          PERFORM record_change(NEW.user_id, 'list', NEW.id, 'upsert',
            CASE TG_OP WHEN 'INSERT' THEN 'list.created' ELSE 'list.updated' END);
        END IF;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER task_rows_record_change AFTER INSERT OR UPDATE OR DELETE ON task_rows
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_task_change()`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER lists_record_change AFTER INSERT OR UPDATE OR DELETE ON lists
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_list_change()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER lists_record_change ON lists`);
    await db.query(`DROP TRIGGER task_rows_record_change ON task_rows`);
    await db.query(`DROP FUNCTION record_list_change(), record_task_change()`);
    await db.query(`DROP FUNCTION record_change(uuid, text, uuid, text, text)`);
    await db.query(`DROP TABLE changes, change_counters`);
    await db.query(`DROP VIEW tasks`);
    await db.query(`DELETE FROM task_rows WHERE deleted_at IS NOT NULL`);
    await db.query(`DROP INDEX tasks_trash_idx, tasks_trash_age_idx`);
    const indexes: { indexname: string; indexdef: string }[] = await db.query(`
      SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = 'task_rows'
         AND indexdef LIKE '%deleted_at IS NULL%'`);
    for (const { indexname, indexdef } of indexes) {
      await db.query(`DROP INDEX ${indexname}`);
      await db.query(
        indexdef
          .replace(/ WHERE \(?deleted_at IS NULL\)?$/, '')
          .replace(/\(deleted_at IS NULL\) AND /, ''),
      );
    }
    await db.query(`
      ALTER TABLE task_rows
        DROP CONSTRAINT tasks_list_fk,
        ADD CONSTRAINT tasks_list_fk FOREIGN KEY (list_id, user_id)
          REFERENCES lists (id, user_id) ON DELETE CASCADE,
        DROP CONSTRAINT tasks_live_in_a_list,
        DROP CONSTRAINT tasks_trashed_with_deleted,
        ALTER COLUMN list_id SET NOT NULL,
        DROP COLUMN trashed_with,
        DROP COLUMN deleted_at`);
    await db.query(`ALTER TABLE task_rows RENAME TO tasks`);
  }
}
