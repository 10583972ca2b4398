import { randomBytes } from 'node:crypto';
import { hashRefreshToken } from '../../src/auth/tokens.service';
import type { TestApp } from './test-app';

export interface Registered {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

/** The contract's `Task` shape: exactly these fields, nothing more. */
export const TASK_FIELDS = [
  'id',
  'user_id',
  'list_id',
  'parent_id',
  'position',
  'title',
  'description',
  'completed',
  'completed_at',
  'priority',
  'due_date',
  'tags',
  'recurrence',
  'timezone',
  'created_at',
  'updated_at',
] as const;

/** The contract's `List` shape. */
export const LIST_FIELDS = [
  'id',
  'user_id',
  'name',
  'color',
  'position',
  'is_default',
  'task_count',
  'pending_count',
  'created_at',
  'updated_at',
] as const;

/** The contract's `TrashedTask`: a `Task` plus `deleted_at`. */
export const TRASHED_TASK_FIELDS = [...TASK_FIELDS, 'deleted_at'] as const;

/** A UUID as the API and the database write them (lower-case). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${randomBytes(5).toString('hex')}@example.com`;

/**
 * Registers a fresh user and returns its credentials; `forwardedFor` sends the request as from
 * that client address (on an app with TRUST_PROXY).
 */
export async function registerUser(
  t: TestApp,
  fields: { email?: string; password?: string; name?: string; forwardedFor?: string } = {},
): Promise<Registered> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? 'password-123';
  const call = t.http().post('/api/auth/register');
  if (fields.forwardedFor) call.set('X-Forwarded-For', fields.forwardedFor);
  const response = await call
    .send({ email, password, ...(fields.name === undefined ? {} : { name: fields.name }) })
    .expect(201);
  const token = response.body.access_token as string;
  return {
    id: response.body.user.id,
    email: response.body.user.email,
    password,
    token,
    refreshToken: response.body.refresh_token,
    auth: { Authorization: `Bearer ${token}` },
  };
}

/**
 * Moves a spent refresh token's first use `seconds` into the past, as if that much time had
 * passed since: the way to step over the refresh grace without waiting for it.
 */
export async function backdateRefreshUse(t: TestApp, refreshToken: string, seconds: number) {
  const rows = await t.sql(
    `WITH moved AS (
       UPDATE refresh_tokens SET used_at = used_at - $2 * interval '1 second'
        WHERE token_hash = $1 AND used_at IS NOT NULL
       RETURNING id)
     SELECT id FROM moved`,
    [hashRefreshToken(refreshToken), seconds],
  );
  expect(rows).toHaveLength(1);
}

/** Creates a task through the API and returns its body. */
export async function createTask(
  t: TestApp,
  user: Registered,
  fields: Record<string, unknown> = {},
) {
  const response = await t
    .http()
    .post('/api/me/tasks')
    .set(user.auth)
    .send({ title: 'A task', ...fields })
    .expect(201);
  return response.body as Record<string, any>;
}

/**
 * Two users for "clear completed": `owner` with two completed tasks and one pending (`kept`),
 * `other` with a completed task of its own (`theirs`), which no clear of the owner's may touch.
 */
export async function withCompletedTasks(t: TestApp) {
  const owner = await registerUser(t);
  const other = await registerUser(t);
  await createTask(t, owner, { title: 'done 1', completed: true });
  await createTask(t, owner, { title: 'done 2', completed: true });
  const kept = await createTask(t, owner, { title: 'pending' });
  const theirs = await createTask(t, other, { title: 'theirs', completed: true });
  return { owner, other, kept, theirs };
}

/** DELETE `{base}?status=completed` (clear completed) as `user`; `base` is the list's path. */
export const clearCompleted = (t: TestApp, user: Registered, base = '/api/me/tasks') =>
  t.http().delete(`${base}?status=completed`).set(user.auth);

/** Every problem response has the RFC 9457 shape and our stable code. */
export function expectProblem(
  response: { status: number; headers: Record<string, string>; body: any },
  status: number,
  code: string,
) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
}
