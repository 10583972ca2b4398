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
  'title',
  'description',
  'completed',
  'completed_at',
  'priority',
  'due_date',
  'tags',
  'created_at',
  'updated_at',
] as const;

/** A UUID as the API and the database write them (lower-case). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${randomBytes(5).toString('hex')}@example.com`;

/** Registers a fresh user and returns its credentials. */
export async function registerUser(
  t: TestApp,
  fields: { email?: string; password?: string; name?: string } = {},
): Promise<Registered> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? 'password-123';
  const response = await t
    .http()
    .post('/api/auth/register')
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
