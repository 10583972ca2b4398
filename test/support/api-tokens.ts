import type { Registered } from './builders';
import type { TestApp } from './test-app';

/** An API token as the create answer shows it (with the token itself). */
export interface CreatedApiToken {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  token: string;
  /** `Authorization: Bearer <token>`, for `.set()`. */
  auth: { Authorization: string };
}

/** The fields of an `ApiToken` in every answer; the create answer adds `token`. */
export const API_TOKEN_FIELDS = [
  'id',
  'name',
  'scopes',
  'created_at',
  'expires_at',
  'last_used_at',
] as const;

/** POST /api/auth/tokens as `user` (with its access token). */
export const postApiToken = (t: TestApp, user: Pick<Registered, 'auth'>, body: object) =>
  t.http().post('/api/auth/tokens').set(user.auth).send(body);

/** A new API token of `user` with these scopes. */
export async function createApiToken(
  t: TestApp,
  user: Pick<Registered, 'auth'>,
  scopes: string[],
  fields: Record<string, unknown> = {},
): Promise<CreatedApiToken> {
  const response = await postApiToken(t, user, { name: `token ${scopes}`, scopes, ...fields });
  expect(response.status).toBe(201);
  return { ...response.body, auth: { Authorization: `Bearer ${response.body.token}` } };
}
