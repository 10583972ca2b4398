import { Client } from 'pg';
import { behindTransactionPooler, statementBounds } from '../src/database/data-source-options';
import { createTask, expectProblem, Registered, registerUser } from './support/builders';
import { CapturedLog } from './support/captured-log';
import { patchTask } from './support/task-model';
import { createTestApp, TestApp } from './support/test-app';

jest.setTimeout(30_000);

/**
 * DATABASE_STATEMENT_TIMEOUT bounds every pooled connection: a statement that runs too long (here:
 * one waiting on a row another session holds locked) is cut off and answered with 503
 * SERVICE_UNAVAILABLE and Retry-After, logged with its route, and the service goes on.
 */
describe('Bounded queries (DATABASE_STATEMENT_TIMEOUT)', () => {
  /** Holds a task's row locked from outside the app until `release()`. */
  async function lockTask(t: TestApp, taskId: string) {
    const locker = new Client({ connectionString: t.databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE', [taskId]);
    return {
      release: async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      },
    };
  }

  describe('on a direct connection the server enforces it', () => {
    const log = new CapturedLog();
    let t: TestApp;
    let user: Registered;
    beforeAll(async () => {
      t = await createTestApp(
        { DATABASE_STATEMENT_TIMEOUT: '300ms', LOG_LEVEL: 'warn' },
        { logDestination: log },
      );
      user = await registerUser(t);
    });
    afterAll(() => t.close());

    it('sets statement_timeout and idle_in_transaction_session_timeout on pooled connections', async () => {
      const [row] = await t.sql<{ statement: string; idle: string }>(
        `SELECT current_setting('statement_timeout') AS statement,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      );
      expect(row).toEqual({ statement: '300ms', idle: '300ms' });
    });

    it('a statement cut off answers 503 with Retry-After, logs the route, and changes nothing', async () => {
      const task = await createTask(t, user, { title: 'before' });
      const lock = await lockTask(t, task.id);
      const started = Date.now();
      let response;
      try {
        response = await patchTask(t, user, task.id)
          .set('X-Request-Id', 'slow-statement-1')
          .send({ title: 'after' });
      } finally {
        await lock.release();
      }
      expect(Date.now() - started).toBeLessThan(2_000);
      expectProblem(response, 503, 'SERVICE_UNAVAILABLE');
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.body.detail).not.toMatch(/statement|canceling|SELECT|UPDATE/i);
      expect(log.requestLines('slow-statement-1')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            context: 'ProblemFilter',
            route: '/api/:user_id/tasks/:id',
            msg: expect.stringMatching(/statement timed out for PATCH \/api\/:user_id\/tasks\/:id/),
          }),
        ]),
      );
      const stored = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(stored.body.title).toBe('before');
      // The same request goes through once the lock is gone: the service recovered by itself.
      await patchTask(t, user, task.id, { title: 'after' });
      const after = await t.http().get(`/api/me/tasks/${task.id}`).set(user.auth).expect(200);
      expect(after.body.title).toBe('after');
    });

    it('a statement within the bound is unaffected', async () => {
      await expect(t.sql('SELECT pg_sleep(0.1)')).resolves.toHaveLength(1);
      await expect(t.sql('SELECT pg_sleep(1)')).rejects.toMatchObject({
        driverError: expect.objectContaining({ code: '57014' }),
      });
    });
  });

  describe('behind a transaction-mode pooler the client-side backstop holds', () => {
    let t: TestApp;
    let user: Registered;
    beforeAll(async () => {
      t = await createTestApp({ DATABASE_STATEMENT_TIMEOUT: '300ms' }, {}, (url) => {
        const pooled = new URL(url);
        pooled.searchParams.set('pgbouncer', 'true');
        return pooled.toString();
      });
      user = await registerUser(t);
    });
    afterAll(() => t.close());

    it('sends no startup parameters a pooler could refuse', async () => {
      const [row] = await t.sql<{ statement: string }>(
        `SELECT current_setting('statement_timeout') AS statement`,
      );
      expect(row.statement).toBe('0');
    });

    it('a statement still running past the bound plus 2 s answers 503', async () => {
      const task = await createTask(t, user);
      const lock = await lockTask(t, task.id);
      const started = Date.now();
      let response;
      try {
        response = await patchTask(t, user, task.id, {
          title: 'after',
        });
      } finally {
        await lock.release();
      }
      expect(Date.now() - started).toBeLessThan(5_000);
      expectProblem(response, 503, 'SERVICE_UNAVAILABLE');
    });
  });

  it('recognises pooler URLs: Neon -pooler hosts and pgbouncer=true', () => {
    expect(behindTransactionPooler('postgres://u@ep-x-123-pooler.eu.aws.neon.tech/db')).toBe(true);
    expect(behindTransactionPooler('postgres://u@db.example.com/db?pgbouncer=true')).toBe(true);
    expect(behindTransactionPooler('postgres://u@ep-x-123.eu.aws.neon.tech/db')).toBe(false);
    expect(statementBounds('postgres://u@h/db', 10_000)).toEqual({
      statement_timeout: 10_000,
      idle_in_transaction_session_timeout: 10_000,
      query_timeout: 12_000,
    });
    expect(statementBounds('postgres://u@h/db?pgbouncer=true', 10_000)).toEqual({
      query_timeout: 12_000,
    });
  });
});
