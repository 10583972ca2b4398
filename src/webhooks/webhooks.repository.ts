import { Injectable } from '@nestjs/common';
import { fetchSqlPage, Pager, type Page, type RawRow, type SortSpec } from '../common/paging';
import { Sql, type SqlExecutor } from '../database/sql';

export interface WebhookRecord {
  id: string;
  userId: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  nextAttemptAt: Date | null;
}

/** An attempt a worker has claimed: what to send, where, signed with what. */
export interface ClaimedAttempt {
  id: string;
  webhookId: string;
  eventId: string;
  /** The body as sent: the stored JSON's text, never parsed here (jsonb's own spacing). */
  body: string;
  attempts: number;
  url: string;
  secret: Buffer;
}

/** An attempt's outcome when no attempt follows it. */
export interface FinalOutcome {
  id: string;
  status: 'succeeded' | 'failed';
  responseStatus?: number | null;
  error?: string | null;
}

const WEBHOOK_COLUMNS = 'id, user_id, url, events, description, active, created_at, updated_at';

const webhookFromRow = (row: RawRow): WebhookRecord => ({
  id: row.id as string,
  userId: row.user_id as string,
  url: row.url as string,
  events: row.events as string[],
  description: row.description as string | null,
  active: row.active as boolean,
  createdAt: row.created_at as Date,
  updatedAt: row.updated_at as Date,
});

const deliveryFromRow = (row: RawRow): DeliveryRecord => ({
  id: row.id as string,
  eventId: row.event_id as string,
  type: row.type as string,
  status: row.status as DeliveryRecord['status'],
  attempts: row.attempts as number,
  responseStatus: row.response_status as number | null,
  error: row.error as string | null,
  createdAt: row.created_at as Date,
  deliveredAt: row.delivered_at as Date | null,
  nextAttemptAt: row.next_attempt_at as Date | null,
});

const OLDEST_FIRST: SortSpec = {
  name: 'webhooks:created',
  keys: [{ sql: 'w.created_at' }, { sql: 'w.id' }],
};
const NEWEST_FIRST: SortSpec = {
  name: 'deliveries:created',
  keys: [{ sql: 'd.created_at' }, { sql: 'd.id' }],
};

/**
 * A delivery's bookkeeping (its fan-out, its claim, its outcome) commits without waiting for the
 * WAL to reach the disk (synchronous_commit off for that statement's transaction): lost to a
 * crash, it only makes an attempt be sent again, which at-least-once delivery allows, and the
 * requests' own commits no longer queue behind these flushes. A FROM item, so the statement sets
 * it itself.
 */
const WITHOUT_WAITING_FOR_DISK = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`;

/**
 * How long a worker holds an attempt it claimed: the send's 10 s (DNS included), and a margin for
 * a busy event loop. Also how soon what a dead instance left claimed is sent again.
 */
const CLAIM_SECONDS = 20;

/**
 * A WITH item after `deliveries` (claimed attempts, by id): one job of them all, due when their
 * claim lapses, none when there are none. Counting its rows makes it (a SELECT in WITH runs only
 * when read).
 */
const SAFETY_NET = `safety_net AS (
         SELECT schedule_webhook_attempts(array_agg(id), now() + make_interval(secs => $2))
           FROM deliveries HAVING count(*) > 0)`;

const attemptFromRow = (row: RawRow): ClaimedAttempt => ({
  id: row.id as string,
  webhookId: row.webhook_id as string,
  eventId: row.event_id as string,
  body: row.body as string,
  attempts: row.attempts as number,
  url: row.url as string,
  secret: row.secret as Buffer,
});

/** Deliveries the purge deletes per statement. */
const PURGE_BATCH = 5000;

/** Every query of webhooks and their deliveries; the owner's are filtered by the owner. */
@Injectable()
export class WebhooksRepository {
  constructor(
    private readonly sql: Sql,
    private readonly pager: Pager,
  ) {}

  page(ownerId: string, request: { limit: number; cursor?: string }): Promise<Page<WebhookRecord>> {
    return fetchSqlPage(
      {
        select: WEBHOOK_COLUMNS.replace(/\w+/g, (column) => `w.${column}`),
        from: 'webhooks w',
        where: [{ sql: 'w.user_id = :ownerId', params: { ownerId } }],
      },
      { list: `/api/${ownerId}/webhooks`, sort: OLDEST_FIRST, order: 'asc', ...request },
      this.pager,
      this.sql,
      webhookFromRow,
    );
  }

  async find(ownerId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = await this.sql.one<RawRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND user_id = $2`,
      [id, ownerId],
    );
    return row && webhookFromRow(row);
  }

  async insert(
    db: SqlExecutor,
    ownerId: string,
    webhook: { url: string; events: string[]; description: string | null; secret: Buffer },
  ): Promise<WebhookRecord> {
    const row = await db.one<RawRow>(
      `INSERT INTO webhooks (user_id, url, events, description, secret)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${WEBHOOK_COLUMNS}`,
      [ownerId, webhook.url, webhook.events, webhook.description, webhook.secret],
    );
    return webhookFromRow(row!);
  }

  async update(
    ownerId: string,
    id: string,
    changes: Partial<Pick<WebhookRecord, 'url' | 'events' | 'description' | 'active'>>,
  ): Promise<WebhookRecord | undefined> {
    const values: unknown[] = [id, ownerId];
    const sets = Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => `${field} = $${values.push(value)}`);
    const row = await this.sql.one<RawRow>(
      `UPDATE webhooks SET ${[...sets, 'updated_at = now()'].join(', ')}
        WHERE id = $1 AND user_id = $2 RETURNING ${WEBHOOK_COLUMNS}`,
      values,
    );
    return row && webhookFromRow(row);
  }

  async delete(ownerId: string, id: string): Promise<boolean> {
    return (
      (await this.sql.execute(`DELETE FROM webhooks WHERE id = $1 AND user_id = $2`, [
        id,
        ownerId,
      ])) > 0
    );
  }

  deliveries(
    ownerId: string,
    webhookId: string,
    request: { limit: number; cursor?: string },
  ): Promise<Page<DeliveryRecord>> {
    return fetchSqlPage(
      {
        select:
          'd.id, d.event_id, d.type, d.status, d.attempts, d.response_status, d.error, d.created_at, d.delivered_at, d.next_attempt_at',
        from: 'webhook_deliveries d',
        where: [
          {
            sql: 'd.webhook_id = :webhookId AND d.user_id = :ownerId',
            params: { webhookId, ownerId },
          },
        ],
      },
      {
        list: `/api/${ownerId}/webhooks/${webhookId}/deliveries`,
        sort: NEWEST_FIRST,
        order: 'desc',
        ...request,
      },
      this.pager,
      this.sql,
      deliveryFromRow,
    );
  }

  /**
   * Fans out up to `limit` events of the outbox (migration 1764700000000) and deletes them, in one
   * statement: a delivery to each active webhook of the owner that takes the event and existed
   * when it happened, its first attempt claimed for the caller, who sends it at once. The events
   * are claimed with SKIP LOCKED, so instances dispatching at once take different ones, and each
   * event is fanned out exactly once. In no particular order: deliveries are concurrent anyway,
   * and the outbox needs no index on time. Resolves to the number of events taken and the
   * attempts to send.
   *
   * The same statement queues one job with all of them, due when their claim lapses: should the
   * caller die before it records an outcome, that job sends again what is still pending then (see
   * `claim`); otherwise it finds nothing to do. So a first attempt costs no job of its own, no
   * claim of its own, and no round trip through the queue.
   *
   * Its commit does not wait for the disk either: lost to a crash, it takes its deliveries and
   * job with it and leaves its events in the outbox (their own commits were durable), to be
   * fanned out again, so an attempt already sent is sent again with the same `webhook-id`,
   * which at-least-once delivery allows. The creates' commits no longer wait behind its flush.
   */
  async dispatchEvents(limit: number): Promise<{ events: number; attempts: ClaimedAttempt[] }> {
    const rows = await this.sql.rows<RawRow>(
      `WITH events AS (
         DELETE FROM webhook_events WHERE id IN (
           SELECT id FROM webhook_events LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, user_id, entity_id, type, payload, created_at),
       deliveries AS (
         INSERT INTO webhook_deliveries (webhook_id, user_id, entity_id, event_id, type, payload,
                                         created_at, attempts, next_attempt_at, claimed_until)
         SELECT w.id, e.user_id, e.entity_id, e.id, e.type, e.payload, e.created_at, 1, now(),
                now() + make_interval(secs => $2)
           FROM events e
           JOIN webhooks w ON w.user_id = e.user_id AND w.active AND w.created_at <= e.created_at
                          AND (e.type = ANY (w.events) OR '*' = ANY (w.events))
         RETURNING id, webhook_id, event_id, payload, attempts),
       ${SAFETY_NET}
       SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM safety_net) AS jobs,
              d.id, d.webhook_id, d.event_id, d.payload::text AS body, d.attempts, w.url,
              w.secret
         FROM ${WITHOUT_WAITING_FOR_DISK}
         LEFT JOIN (deliveries d JOIN webhooks w ON w.id = d.webhook_id) ON true`,
      [limit, CLAIM_SECONDS],
    );
    return {
      events: rows[0].events as number,
      attempts: rows.filter((row) => row.id !== null).map(attemptFromRow),
    };
  }

  /** The `webhook.test` event: one delivery to this webhook, and its first attempt's job. */
  async insertTestEvent(ownerId: string, id: string): Promise<boolean> {
    const row = await this.sql.one<{ id: string }>(
      `WITH hook AS (SELECT id FROM webhooks WHERE id = $1 AND user_id = $2),
       delivery AS (
         INSERT INTO webhook_deliveries (webhook_id, user_id, event_id, type, payload)
         SELECT hook.id, $2, gen_random_uuid(), 'webhook.test',
                jsonb_build_object('type', 'webhook.test', 'timestamp', api_time(now()),
                                   'data', jsonb_build_object('webhook_id', hook.id))
           FROM hook RETURNING id)
       SELECT id, schedule_webhook_attempt(id, now()) FROM delivery`,
      [id, ownerId],
    );
    return row !== undefined;
  }

  /**
   * Claims the next attempt of each delivery for this worker, in one statement: it must be
   * pending, due, and not held by another worker (a claim lapses after CLAIM_SECONDS, so a worker
   * that died frees it). Deliveries with nothing to send (done, or another worker has them) are
   * left out; those of an inactive webhook are failed instead. Like the dispatch, it queues the
   * job that takes over what a dead worker leaves claimed, due when the claim lapses; the job
   * of an attempt is not enough, since pg-boss retries a job whose worker died only once it
   * expires, and finds it expired only at its next maintenance (minutes).
   */
  async claim(deliveryIds: string[]): Promise<ClaimedAttempt[]> {
    const rows = await this.sql.rows<RawRow>(
      `WITH deliveries AS (
         UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, claimed_until = now() + make_interval(secs => $2)
           FROM webhooks w
          WHERE d.id = ANY ($1::uuid[]) AND w.id = d.webhook_id AND d.status = 'pending'
            AND d.next_attempt_at <= now() + interval '1 second'
            AND (d.claimed_until IS NULL OR d.claimed_until < now())
          RETURNING d.id, d.webhook_id, d.event_id, d.payload::text AS body, d.attempts, w.url,
                    w.secret, w.active),
       ${SAFETY_NET}
       SELECT d.*, (SELECT count(*) FROM safety_net) AS jobs
         FROM deliveries d, ${WITHOUT_WAITING_FOR_DISK}`,
      [deliveryIds, CLAIM_SECONDS],
    );
    const inactive = rows.filter((row) => !row.active);
    if (inactive.length)
      await this.finish(
        inactive.map((row) => ({
          id: row.id as string,
          status: 'failed',
          error: 'the webhook is inactive',
        })),
      );
    return rows.filter((row) => row.active).map(attemptFromRow);
  }

  /** Records the outcomes of attempts that no attempt follows, in one statement. */
  async finish(outcomes: FinalOutcome[], db: SqlExecutor = this.sql): Promise<void> {
    await db.execute(
      `UPDATE webhook_deliveries d
          SET status = o.status, response_status = o.response_status, error = o.error,
              claimed_until = NULL, next_attempt_at = NULL,
              delivered_at = CASE WHEN o.status = 'succeeded' THEN now() END
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[])
              AS o (id, status, response_status, error), ${WITHOUT_WAITING_FOR_DISK}
        WHERE d.id = o.id`,
      [
        outcomes.map((outcome) => outcome.id),
        outcomes.map((outcome) => outcome.status),
        outcomes.map((outcome) => outcome.responseStatus ?? null),
        outcomes.map((outcome) => outcome.error ?? null),
      ],
    );
  }

  /** Deliveries failed for good, and their webhooks made inactive, together. */
  failForGood(outcomes: FinalOutcome[], webhookIds: string[]): Promise<void> {
    return this.sql.transaction(async (tx) => {
      await this.finish(outcomes, tx);
      await tx.execute(
        `UPDATE webhooks SET active = false, updated_at = now() WHERE id = ANY ($1::uuid[])`,
        [webhookIds],
      );
    });
  }

  /**
   * Deletes the deliveries finished (succeeded or failed) that were made more than
   * `retentionSeconds` ago, in batches; a pending one stays whatever its age. Webhook by webhook,
   * along `webhook_deliveries_webhook_idx` (webhook_id, created_at): no index on time alone for
   * every delivery to keep up for the sake of an hourly job.
   */
  async purgeFinished(retentionSeconds: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.sql.execute(
        `DELETE FROM webhook_deliveries WHERE id IN (
           SELECT old.id FROM webhooks w CROSS JOIN LATERAL (
             SELECT d.id FROM webhook_deliveries d
              WHERE d.webhook_id = w.id AND d.status <> 'pending'
                AND d.created_at < now() - make_interval(secs => $1)
              LIMIT $2) old
           LIMIT $2)`,
        [retentionSeconds, PURGE_BATCH],
      );
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
    }
  }

  /** A failed attempt with attempts left: the next one's time, and its job, in one transaction. */
  async retryLater(
    deliveryId: string,
    outcome: { responseStatus: number | null; error: string | null },
    delayMs: number,
  ): Promise<void> {
    await this.sql.execute(
      `WITH later AS (
         UPDATE webhook_deliveries
            SET response_status = $2, error = $3, claimed_until = NULL,
                next_attempt_at = now() + make_interval(secs => $4)
          WHERE id = $1 RETURNING id, next_attempt_at)
       SELECT schedule_webhook_attempt(id, next_attempt_at) FROM later`,
      [deliveryId, outcome.responseStatus, outcome.error, delayMs / 1000],
    );
  }
}
