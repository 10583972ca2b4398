import { IdempotencyRepository } from '../../src/common/idempotency.repository';
import {
  IdempotencyStore,
  requestHash,
  type ReplayableResponse,
} from '../../src/common/idempotency';
import { ProblemException } from '../../src/common/problem';
import { WithHeaders } from '../../src/common/response';
import type { SqlExecutor } from '../../src/database/sql';
import { JobsModule } from '../../src/jobs/jobs.module';
import { countRows, insertUsers, outcomeOf, useServiceModule } from '../support/service-module';

/** IdempotencyStore.once on the real database: one write per key, whatever the timing. */
describe('IdempotencyStore: one key, one write', () => {
  const m = useServiceModule({
    imports: [JobsModule],
    providers: [IdempotencyStore, IdempotencyRepository],
  });
  const store = () => m.get(IdempotencyStore);
  let user: string;
  let otherUser: string;
  let key: string;
  let keyNumber = 0;

  beforeAll(async () => {
    [user, otherUser] = await insertUsers(m.sql, ['user', 'user']);
  });
  beforeEach(async () => {
    await m.sql.execute('DELETE FROM idempotency_keys');
    await m.sql.execute('DELETE FROM tasks');
    key = `key-${++keyNumber}`;
  });

  const count = (table: string) => countRows(m.sql, table);

  /**
   * The work of a create: a task row written in the key's transaction, answered as a 201. It
   * holds its transaction open a moment so that concurrent calls really wait on the key.
   */
  function createTask(
    owner: string,
    { failFirst = false, holdMs = 150 }: { failFirst?: boolean; holdMs?: number } = {},
  ) {
    let runs = 0;
    const work = async (tx: SqlExecutor): Promise<ReplayableResponse<{ id: string }>> => {
      runs += 1;
      const task = await tx.one<{ id: string }>(
        // Any distinct position: the manual order is not what this tests.
        `INSERT INTO tasks (user_id, title, list_id, position)
         SELECT $1, 'idempotent', id, gen_random_uuid()::text FROM lists WHERE user_id = $1 AND is_default
         RETURNING id`,
        [owner],
      );
      await tx.execute('SELECT pg_sleep($1)', [holdMs / 1000]);
      if (failFirst && runs === 1) throw new Error('the first attempt fails after writing');
      return new WithHeaders(
        task!,
        { location: `/api/tasks/${task!.id}` },
        201,
      ) as ReplayableResponse<{
        id: string;
      }>;
    };
    return { work, runs: () => runs };
  }

  const body = { title: 'write the report', tags: ['a', 'b'] };
  const hash = requestHash(body);
  const replayed = (response: WithHeaders<unknown>) =>
    response.headers['idempotent-replayed'] === 'true';

  it.each([2, 8])('%i concurrent calls: the work runs once, all answer the same', async (n) => {
    const create = createTask(user);
    const responses = await Promise.all(
      Array.from({ length: n }, () => store().once(user, key, hash, create.work)),
    );
    expect(create.runs()).toBe(1);
    expect(await count('tasks')).toBe(1);
    expect(responses.filter((response) => !replayed(response))).toHaveLength(1);
    const [first] = responses.filter((response) => !replayed(response));
    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.body).toEqual(first.body);
      expect(response.headers.location).toBe(first.headers.location);
    }
  });

  it('a later call replays the stored response without running the work', async () => {
    const create = createTask(user, { holdMs: 0 });
    const first = await store().once(user, key, hash, create.work);
    // The same JSON with its keys in another order is the same request.
    const again = await store().once(
      user,
      key,
      requestHash({ tags: ['a', 'b'], title: body.title }),
      create.work,
    );
    expect(create.runs()).toBe(1);
    expect(again).toEqual(
      new WithHeaders(first.body, { ...first.headers, 'idempotent-replayed': 'true' }, 201),
    );
  });

  it('the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, and no work', async () => {
    const create = createTask(user, { holdMs: 0 });
    await store().once(user, key, hash, create.work);
    const other = requestHash({ ...body, title: 'something else' });
    const refused = await store()
      .once(user, key, other, create.work)
      .catch((error: ProblemException) => error);
    expect(refused).toBeInstanceOf(ProblemException);
    expect([(refused as ProblemException).getStatus(), (refused as ProblemException).code]).toEqual(
      [422, 'IDEMPOTENCY_KEY_REUSED'],
    );
    expect(create.runs()).toBe(1);
    expect(await count('tasks')).toBe(1);
  });

  it('two bodies under one key at the same moment: one runs, the other is a 422', async () => {
    const create = createTask(user);
    const outcomes = await Promise.all([
      outcomeOf(store().once(user, key, hash, create.work)),
      outcomeOf(store().once(user, key, requestHash({ title: 'other' }), create.work)),
    ]);
    expect(outcomes.sort()).toEqual(['IDEMPOTENCY_KEY_REUSED', 'ok']);
    expect(create.runs()).toBe(1);
  });

  it('a failing first attempt stores nothing, and a retry runs the work', async () => {
    const create = createTask(user, { failFirst: true, holdMs: 0 });
    await expect(store().once(user, key, hash, create.work)).rejects.toThrow('first attempt');
    expect(await count('tasks')).toBe(0);
    expect(await count('idempotency_keys')).toBe(0);

    const retry = await store().once(user, key, hash, create.work);
    expect(replayed(retry)).toBe(false);
    expect(create.runs()).toBe(2);
    expect(await count('tasks')).toBe(1);
  });

  it('callers waiting on a first attempt that fails: one of them runs the work', async () => {
    const create = createTask(user, { failFirst: true });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => store().once(user, key, hash, create.work)),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed).toEqual([{ status: 'rejected', reason: expect.any(Error) }]);
    const answers = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(answers.filter((response) => !replayed(response))).toHaveLength(1);
    expect(create.runs()).toBe(2);
    expect(await count('tasks')).toBe(1);
  });

  it('keys are per user: the same key and body run once for each', async () => {
    const mine = createTask(user);
    const theirs = createTask(otherUser);
    const [a, b] = await Promise.all([
      store().once(user, key, hash, mine.work),
      store().once(otherUser, key, hash, theirs.work),
    ]);
    expect([mine.runs(), theirs.runs()]).toEqual([1, 1]);
    expect([replayed(a), replayed(b)]).toEqual([false, false]);
    expect(a.body).not.toEqual(b.body);
    expect(await count('tasks')).toBe(2);
  });

  it('an expired key is reused as if new, with any body', async () => {
    const create = createTask(user, { holdMs: 0 });
    await store().once(user, key, hash, create.work);
    await m.sql.execute(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'`);
    const fresh = await store().once(user, key, requestHash({ title: 'new' }), create.work);
    expect(replayed(fresh)).toBe(false);
    expect(create.runs()).toBe(2);
    expect(await store().purgeExpired()).toBe(0);
  });
});
