import { isDeepStrictEqual } from 'node:util';
import { LIST_FIELDS, TASK_FIELDS, UUID } from './builders';
import { allPages } from './paging';
import type { Body } from './task-model';
import type { TestApp } from './test-app';

/** The change feed of issue 15 (GET /api/{user_id}/changes), as a client that keeps a copy. */

type Auth = { auth: Record<string, string> };

export interface Change {
  type: 'task' | 'list';
  id: string;
  op: 'upsert' | 'delete';
  data: Body | null;
}

export interface ChangesAnswer {
  changes: Change[];
  next_since: string;
  has_more: boolean;
}

/** A client's local copy: `task:<id>` / `list:<id>` to the object as the feed gave it. */
export type Replica = Map<string, Body>;

export const keyOf = (type: 'task' | 'list', id: string) => `${type}:${id}`;

/** The feed's URL for these parameters (left out when undefined), on `/api/me` by default. */
export function changesUrl(
  query: { since?: string; limit?: number | string } = {},
  base = '/api/me',
): string {
  const params = new URLSearchParams();
  if (query.since !== undefined) params.set('since', query.since);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const search = params.toString();
  return `${base}/changes${search ? `?${search}` : ''}`;
}

/** The raw request, for tests of its errors. */
export const requestChanges = (
  t: TestApp,
  user: Auth,
  query: { since?: string; limit?: number | string } = {},
  base?: string,
) => t.http().get(changesUrl(query, base)).set(user.auth);

/**
 * One answer of the feed (which must be 200), checked against the contract: exactly
 * `{changes, next_since, has_more}`; each change well-formed (a delete with `data: null`, an
 * upsert with the full Task or List of that id); each object at most once in the answer.
 */
export async function fetchChanges(
  t: TestApp,
  user: Auth,
  query: { since?: string; limit?: number } = {},
): Promise<ChangesAnswer> {
  const response = await requestChanges(t, user, query);
  if (response.status !== 200) {
    throw new Error(
      `GET ${changesUrl(query)}: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  expectWellFormed(response.body);
  return response.body as ChangesAnswer;
}

/** A poll from `since` that has nothing new: no changes, has_more false, and `since` again. */
export async function expectNoChanges(t: TestApp, user: Auth, since: string): Promise<void> {
  expect(await fetchChanges(t, user, { since })).toEqual({
    changes: [],
    next_since: since,
    has_more: false,
  });
}

/** The answer has the contract's shape, and names each object at most once. */
export function expectWellFormed(answer: any): void {
  expect(Object.keys(answer).sort()).toEqual(['changes', 'has_more', 'next_since']);
  expect(typeof answer.next_since).toBe('string');
  expect(answer.next_since.length).toBeGreaterThan(0);
  expect(typeof answer.has_more).toBe('boolean');
  expect(Array.isArray(answer.changes)).toBe(true);
  const seen = new Set<string>();
  for (const change of answer.changes as Change[]) {
    expect(Object.keys(change).sort()).toEqual(['data', 'id', 'op', 'type']);
    expect(['task', 'list']).toContain(change.type);
    expect(['upsert', 'delete']).toContain(change.op);
    expect(change.id).toMatch(UUID);
    const key = keyOf(change.type, change.id);
    if (seen.has(key)) throw new Error(`${key} appears twice in one answer`);
    seen.add(key);
    if (change.op === 'delete') {
      expect(change.data).toBeNull();
    } else {
      const fields = change.type === 'task' ? TASK_FIELDS : LIST_FIELDS;
      expect(Object.keys(change.data!).sort()).toEqual([...fields].sort());
      expect(change.data!.id).toBe(change.id);
    }
  }
}

/** Applies the changes in order (upsert: set; delete: remove); returns how many. */
export function applyChanges(replica: Replica, changes: Change[]): number {
  for (const change of changes) {
    const key = keyOf(change.type, change.id);
    if (change.op === 'upsert') replica.set(key, change.data!);
    else replica.delete(key);
  }
  return changes.length;
}

export interface Snapshot {
  replica: Replica;
  /** The last answer's next_since: where the deltas start. */
  since: string;
  answers: ChangesAnswer[];
}

/**
 * A full snapshot: GET without since (`limit` per page), then with each next_since while
 * has_more. Its changes must all be upserts unless `whileWriting` (a snapshot paged while other
 * requests write may carry the deletes of what changed between its pages). `betweenPages` runs
 * after each page but the last.
 */
export async function takeSnapshot(
  t: TestApp,
  user: Auth,
  {
    limit,
    betweenPages = async () => {},
    whileWriting = false,
  }: { limit?: number; betweenPages?: () => Promise<unknown>; whileWriting?: boolean } = {},
): Promise<Snapshot> {
  const replica: Replica = new Map();
  const answers: ChangesAnswer[] = [];
  let answer = await fetchChanges(t, user, { limit });
  for (;;) {
    answers.push(answer);
    if (answers.length === 1 || !whileWriting) {
      for (const change of answer.changes) expect(change.op).toBe('upsert');
    }
    applyChanges(replica, answer.changes);
    if (!answer.has_more) break;
    if (answers.length > 1000) throw new Error('takeSnapshot: more than 1000 pages');
    await betweenPages();
    answer = await fetchChanges(t, user, { since: answer.next_since, limit });
  }
  return { replica, since: answer.next_since, answers };
}

export interface Drained {
  since: string;
  /** Every change of every answer, in order. */
  changes: Change[];
  answers: ChangesAnswer[];
}

/**
 * Polls from `since` until an answer has has_more false, applying each to `replica` when given.
 * With `untilQuiet`, goes on until an answer also has no changes (and then checks that it gave
 * back the same next_since).
 */
export async function drain(
  t: TestApp,
  user: Auth,
  since: string,
  {
    replica,
    limit,
    untilQuiet = false,
  }: { replica?: Replica; limit?: number; untilQuiet?: boolean } = {},
): Promise<Drained> {
  const answers: ChangesAnswer[] = [];
  const changes: Change[] = [];
  for (;;) {
    if (answers.length > 1000) throw new Error('drain: more than 1000 answers');
    const answer = await fetchChanges(t, user, { since, limit });
    answers.push(answer);
    changes.push(...answer.changes);
    if (replica) applyChanges(replica, answer.changes);
    const quiet = answer.changes.length === 0;
    if (quiet) expect(answer.next_since).toBe(since);
    since = answer.next_since;
    if (!answer.has_more && (!untilQuiet || quiet)) break;
  }
  return { since, changes, answers };
}

/** The user's state through the REST routes: every task (all pages) and every list. */
export async function restState(t: TestApp, user: Auth): Promise<Replica> {
  const state: Replica = new Map();
  for (const task of (await allPages(t, user.auth, '/api/me/tasks?limit=100')).rows) {
    state.set(keyOf('task', task.id), task);
  }
  for (const list of (await allPages(t, user.auth, '/api/me/lists?limit=100')).rows) {
    state.set(keyOf('list', list.id), list);
  }
  return state;
}

/** How `actual` differs from `expected`, one line per object ([] when they are equal). */
export function replicaDiff(expected: Replica, actual: Replica): string[] {
  const lines: string[] = [];
  for (const [key, value] of expected) {
    if (!actual.has(key)) lines.push(`missing ${key}`);
    else if (!isDeepStrictEqual(actual.get(key), value)) {
      lines.push(
        `stale ${key}: have ${JSON.stringify(actual.get(key))}, want ${JSON.stringify(value)}`,
      );
    }
  }
  for (const key of actual.keys()) if (!expected.has(key)) lines.push(`extra ${key}`);
  return lines;
}

/** The one change about (type, id) among `changes` (fails when there is none or several). */
export function changeOf(changes: Change[], type: 'task' | 'list', id: string): Change {
  const found = changes.filter((change) => change.type === type && change.id === id);
  if (found.length !== 1) {
    throw new Error(`expected one change of ${type} ${id}, got ${JSON.stringify(found)}`);
  }
  return found[0];
}
