import type { Test } from 'supertest';
import { expectProblem, type Registered } from './builders';
import type { TestApp } from './test-app';

/** Helpers for the issue-14 task model: lists, subtasks, manual order, recurring tasks. */

export type Body = Record<string, any>;

/** The user's default list (its Inbox), through the API. */
export async function defaultList(t: TestApp, user: Registered): Promise<Body> {
  const response = await t.http().get('/api/me/lists').set(user.auth).expect(200);
  const defaults = (response.body as Body[]).filter((list) => list.is_default);
  expect(defaults).toHaveLength(1);
  return defaults[0];
}

/** Creates a list through the API and returns its body. */
export async function createList(t: TestApp, user: Registered, name: string): Promise<Body> {
  const response = await t.http().post('/api/me/lists').set(user.auth).send({ name }).expect(201);
  return response.body;
}

/**
 * A write to one task or list of `user` (`/api/me/{tasks|lists}/{id}` plus a suffix): `body` (or
 * the route's `empty` one) sent when there is one, `If-Match: ifMatch` when given; the request,
 * to `.expect()` on.
 */
type Write = (
  t: TestApp,
  user: Pick<Registered, 'auth'>,
  id: string,
  body?: object,
  ifMatch?: string,
) => Test;

const write =
  (method: 'patch' | 'put' | 'post', what: 'tasks' | 'lists', suffix = '', empty?: object): Write =>
  (t, user, id, body = empty, ifMatch) => {
    const call = t.http()[method](`/api/me/${what}/${id}${suffix}`).set(user.auth);
    if (ifMatch) call.set('If-Match', ifMatch);
    return body === undefined ? call : call.send(body);
  };

/** PATCH /api/me/tasks/{id}. */
export const patchTask = write('patch', 'tasks');
/** PUT /api/me/tasks/{id}. */
export const putTask = write('put', 'tasks');
/** PATCH /api/me/tasks/{id}/complete: the toggle without a body, or `{ completed }`. */
export const completeTask = write('patch', 'tasks', '/complete');
/** POST /api/me/tasks/{id}/move (the JSON body `{}` when none is given). */
export const moveTask = write('post', 'tasks', '/move', {});
/** PATCH /api/me/lists/{id}. */
export const patchList = write('patch', 'lists');
/** POST /api/me/lists/{id}/move. */
export const moveList = write('post', 'lists', '/move');

/** GET /api/me/tasks{query} as `user` (200), the array. */
export async function listTasks(t: TestApp, user: Registered, query = ''): Promise<any[]> {
  const response = await t.http().get(`/api/me/tasks${query}`).set(user.auth).expect(200);
  return response.body;
}

/** GET of one task (200): its body and ETag. */
export async function getTask(t: TestApp, user: Registered, id: string) {
  const response = await t.http().get(`/api/me/tasks/${id}`).set(user.auth).expect(200);
  return { body: response.body as Body, etag: response.headers.etag as string };
}

/** GET /api/me/tasks/{id}/completions{query} (200), the array. */
export async function completionsOf(
  t: TestApp,
  user: Registered,
  id: string,
  query = '',
): Promise<Body[]> {
  const response = await t
    .http()
    .get(`/api/me/tasks/${id}/completions${query}`)
    .set(user.auth)
    .expect(200);
  return response.body;
}

/** A 400 VALIDATION_FAILED whose errors name `field` (and, when `only`, nothing else). */
export function expectFieldError(
  response: { status: number; headers: Record<string, string>; body: any },
  field: string,
  only = true,
) {
  expectProblem(response, 400, 'VALIDATION_FAILED');
  const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
  if (only) expect(fields).toEqual([field]);
  else expect(fields).toContain(field);
}

/** Byte-wise comparison: the order the contract gives `position`. */
export const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The positions are distinct and, in the order given, strictly increasing byte-wise. */
export function expectStrictlyIncreasing(positions: string[]) {
  for (let i = 1; i < positions.length; i++) {
    if (byteOrder(positions[i - 1], positions[i]) >= 0) {
      throw new Error(
        `positions not strictly increasing at ${i}: ${JSON.stringify(positions[i - 1])} then ${JSON.stringify(positions[i])}`,
      );
    }
  }
}

/** A small seeded PRNG (mulberry32): random moves that are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;
export const WEEK_MS = 7 * DAY_MS;

/** An instant `ms` from now, on a whole second (so RRULE arithmetic stays exact). */
export function fromNow(ms: number): Date {
  const at = new Date(Date.now() + ms);
  at.setUTCMilliseconds(0);
  return at;
}

export const MISSING_ID = '00000000-0000-4000-8000-000000000000';
