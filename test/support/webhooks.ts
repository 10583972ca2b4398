import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { Registered } from './builders';
import type { Body } from './task-model';
import type { TestApp } from './test-app';
import type { ReceivedRequest } from './webhook-receiver';

/** The webhooks of issue 16 (/api/{user_id}/webhooks), as the contract has them. */

type Auth = Pick<Registered, 'auth'>;

/** The contract's `Webhook`: exactly these fields (the create answer adds `secret`). */
export const WEBHOOK_FIELDS = [
  'id',
  'url',
  'events',
  'description',
  'active',
  'created_at',
  'updated_at',
] as const;

/** The contract's `Delivery`. */
export const DELIVERY_FIELDS = [
  'id',
  'event_id',
  'type',
  'status',
  'attempts',
  'response_status',
  'error',
  'created_at',
  'delivered_at',
  'next_attempt_at',
] as const;

/** The event names a webhook may subscribe to (besides `*`). */
export const EVENT_TYPES = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.deleted',
  'task.restored',
  'list.created',
  'list.updated',
  'list.deleted',
] as const;

/** `whsec_` + base64 of 32 random bytes. */
export const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The raw create request, for tests of its answers. */
export const postWebhook = (t: TestApp, user: Auth, body: object, base = '/api/me') =>
  t.http().post(`${base}/webhooks`).set(user.auth).send(body);

/** Creates a webhook (201) and returns the answer: the Webhook and its `secret`. */
export async function createWebhook(
  t: TestApp,
  user: Auth,
  body: { url: string; events: string[]; description?: string | null },
): Promise<Body & { id: string; secret: string }> {
  const response = await postWebhook(t, user, body);
  if (response.status !== 201) {
    throw new Error(`POST /webhooks: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** GET of one webhook (200), the body. */
export async function getWebhook(t: TestApp, user: Auth, id: string): Promise<Body> {
  return (await t.http().get(`/api/me/webhooks/${id}`).set(user.auth).expect(200)).body;
}

/** GET of the user's webhooks (200), the array. */
export async function listWebhooks(t: TestApp, user: Auth): Promise<Body[]> {
  return (await t.http().get('/api/me/webhooks').set(user.auth).expect(200)).body;
}

export const patchWebhook = (t: TestApp, user: Auth, id: string, body: object) =>
  t.http().patch(`/api/me/webhooks/${id}`).set(user.auth).send(body);

export const deleteWebhook = (t: TestApp, user: Auth, id: string) =>
  t.http().delete(`/api/me/webhooks/${id}`).set(user.auth);

/** POST /webhooks/{id}/test. */
export const testWebhook = (t: TestApp, user: Auth, id: string) =>
  t.http().post(`/api/me/webhooks/${id}/test`).set(user.auth);

/** The first page (up to 100) of a webhook's deliveries, newest first. */
export async function deliveriesOf(t: TestApp, user: Auth, id: string): Promise<Body[]> {
  const response = await t
    .http()
    .get(`/api/me/webhooks/${id}/deliveries?limit=100`)
    .set(user.auth)
    .expect(200);
  return response.body;
}

/**
 * Polls the webhook's deliveries until one satisfies `check` and returns it; fails after
 * `timeoutMs` with the deliveries last seen.
 */
export async function waitForDelivery(
  t: TestApp,
  user: Auth,
  id: string,
  check: (delivery: Body) => boolean,
  timeoutMs = 15_000,
  what = 'the expected delivery',
): Promise<Body> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await deliveriesOf(t, user, id);
    const found = last.find(check);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`no ${what} within ${timeoutMs} ms; deliveries: ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}

/** The delivery has exactly the contract's fields, well-formed. */
export function expectDeliveryShape(delivery: Body): void {
  expect(Object.keys(delivery).sort()).toEqual([...DELIVERY_FIELDS].sort());
  expect(['pending', 'succeeded', 'failed']).toContain(delivery.status);
  expect(Number.isInteger(delivery.attempts)).toBe(true);
  expect(delivery.created_at).toMatch(ISO_TIME);
  for (const field of ['delivered_at', 'next_attempt_at'] as const) {
    if (delivery[field] !== null) expect(delivery[field]).toMatch(ISO_TIME);
  }
  if (delivery.response_status !== null)
    expect(Number.isInteger(delivery.response_status)).toBe(true);
  if (delivery.error !== null) expect(typeof delivery.error).toBe('string');
}

/** A well-formed delivery that succeeded at its first attempt (answered 200), and when. */
export function expectDeliveredAtOnce(delivery: Body): void {
  expectDeliveryShape(delivery);
  expect(delivery).toMatchObject({
    status: 'succeeded',
    attempts: 1,
    response_status: 200,
    error: null,
    next_attempt_at: null,
  });
  expect(delivery.delivered_at).toMatch(ISO_TIME);
}

/** The three Standard Webhooks headers of a request. */
export const signedHeaders = (request: ReceivedRequest) => ({
  'webhook-id': request.headers['webhook-id'],
  'webhook-timestamp': request.headers['webhook-timestamp'],
  'webhook-signature': request.headers['webhook-signature'],
});

/**
 * One delivery as a receiver sees it, checked against the contract: a POST of JSON with the
 * Standard Webhooks headers, its signature valid for `secret` (by the `standardwebhooks`
 * package's own verifier), a timestamp of now, and the body `{type, timestamp, data}`. Returns
 * the verified payload.
 */
export function expectSignedDelivery(request: ReceivedRequest, secret: string): Body {
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toMatch(/^application\/json/);
  const headers = signedHeaders(request);
  expect(headers['webhook-id']).toEqual(expect.any(String));
  expect(headers['webhook-id'].length).toBeGreaterThan(0);
  expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
  expect(Math.abs(Number(headers['webhook-timestamp']) - request.arrivedAt / 1000)).toBeLessThan(
    60,
  );
  // One or more space-separated signatures, each `v1,<base64>`.
  expect(headers['webhook-signature']).toMatch(
    /^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$/,
  );
  let payload: Body;
  try {
    payload = new Webhook(secret).verify(request.rawBody, headers) as Body;
  } catch (error) {
    throw new Error(
      `signature of request #${request.index} (${request.body?.type}) does not verify: ${String(error)}`,
      { cause: error },
    );
  }
  expect(Object.keys(payload).sort()).toEqual(['data', 'timestamp', 'type']);
  expect(typeof payload.type).toBe('string');
  expect(payload.timestamp).toMatch(ISO_TIME);
  expect(Math.abs(new Date(payload.timestamp).getTime() - request.arrivedAt)).toBeLessThan(60_000);
  expect(payload.data).toEqual(expect.any(Object));
  return payload;
}

/** Whether the request's signature verifies with `secret` (false for another webhook's). */
export function verifiesWith(request: ReceivedRequest, secret: string): boolean {
  try {
    new Webhook(secret).verify(request.rawBody, signedHeaders(request));
    return true;
  } catch {
    return false;
  }
}

/** The gaps in milliseconds between consecutive arrivals. */
export const gapsBetween = (requests: ReceivedRequest[]) =>
  requests.slice(1).map((request, i) => request.arrivedAt - requests[i].arrivedAt);
