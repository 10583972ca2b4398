import type { Test } from 'supertest';
import { expectProblem, type Registered } from './builders';
import type { TestApp } from './test-app';

/**
 * One owner route under `/api/{user_id}`: `userBase` is `/api/me` or `/api/<a user id>`, `id` the
 * id the route names (ignored by routes without one).
 */
export type UserRoute = (t: TestApp, userBase: string, id: string) => Test;
export type NamedRoute = [name: string, call: UserRoute];

export interface IsolationMatrix {
  t: TestApp;
  /** Every route of the family. */
  routes: NamedRoute[];
  /** The names of the routes that name an object by id (checked for 404 and a malformed id). */
  byId?: string[];
  /** The user whose data the routes aim at. */
  owner: () => Registered;
  /** Another user (a plain one), and an admin: neither may act on the owner's path. */
  intruder: () => Registered;
  admin?: () => Registered;
  /** The owner's object the by-id routes name. */
  targetId: () => string;
  /** Everything of the owner's that must not change; compared before and after each call. */
  state: () => Promise<unknown>;
  /** The code of the 404 for an object that is not the caller's. */
  notFound: string;
  /** Text of the owner's that no answer to someone else may contain (a title, say). */
  secret?: string;
}

/**
 * The isolation rules every owner route keeps, as tests of the enclosing describe block:
 * on the owner's path, another user and an admin get 403 FORBIDDEN (before any check of the id or
 * the body); on their own path (`me` and their id) with the owner's id, 404 `notFound`; a
 * malformed id is 400 naming `id`; without a token, 401. Nothing of the owner's ever changes.
 */
export function describeIsolation(m: IsolationMatrix): void {
  const byId = m.routes.filter(([name]) => (m.byId ?? []).includes(name));
  const callers: [string, () => Registered][] = [['another user', m.intruder]];
  if (m.admin) callers.push(['an admin', m.admin]);
  const unchanged = async (check: () => Promise<void>) => {
    const before = await m.state();
    await check();
    expect(await m.state()).toEqual(before);
  };
  const noLeak = (response: { text?: string; body: unknown }) => {
    if (m.secret) expect(response.text ?? JSON.stringify(response.body)).not.toContain(m.secret);
  };

  describe.each(callers)('%s on the owner’s path', (_, caller) => {
    it.each(m.routes)('%s: 403 FORBIDDEN, nothing changed', async (_, call) => {
      await unchanged(async () => {
        const response = await call(m.t, `/api/${m.owner().id}`, m.targetId()).set(caller().auth);
        expectProblem(response, 403, 'FORBIDDEN');
        noLeak(response);
      });
    });

    it.each(m.routes)('%s: 403 comes before any check of the id', async (_, call) => {
      await unchanged(async () => {
        const response = await call(m.t, `/api/${m.owner().id}`, 'not-a-uuid').set(caller().auth);
        expectProblem(response, 403, 'FORBIDDEN');
      });
    });
  });

  if (byId.length > 0) {
    describe.each([
      ['me', () => '/api/me'],
      ['own id', () => `/api/${m.intruder().id}`],
    ])('another user on their own path (%s), with the owner’s id', (_, base) => {
      it.each(byId)(`%s: 404 ${m.notFound}, nothing changed`, async (_, call) => {
        await unchanged(async () => {
          const response = await call(m.t, base(), m.targetId()).set(m.intruder().auth);
          expectProblem(response, 404, m.notFound);
          noLeak(response);
        });
      });
    });

    it.each(byId)('%s with a malformed id: 400 naming id', async (_, call) => {
      for (const id of ['not-a-uuid', '123', `${m.targetId()}x`]) {
        const response = await call(m.t, '/api/me', id).set(m.owner().auth);
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
      }
    });
  }

  it.each(m.routes)('%s without a token: 401 UNAUTHENTICATED, nothing changed', async (_, call) => {
    await unchanged(async () => {
      for (const base of ['/api/me', `/api/${m.owner().id}`]) {
        const response = await call(m.t, base, m.targetId());
        expectProblem(response, 401, 'UNAUTHENTICATED');
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
    });
  });
}
