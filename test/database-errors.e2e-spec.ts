import { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ProblemFilter } from '../src/common/problem.filter';
import { dataSourceOptions } from '../src/database/data-source-options';
import { freePort } from './support/server-process';
import { adminQuery, createTestDatabase } from './support/test-app';

jest.setTimeout(30_000);

const request = { method: 'GET', url: '/api/me/tasks', id: 'req-1' } as FastifyRequest;
const filter = new ProblemFilter();
const answer = (error: unknown) => filter.toProblem(error, request);

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** What node-postgres and TypeORM really throw when the database goes away, and our answer. */
describe('Database errors that mean "unavailable" (503), not a bug (500)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  it('a refused connection (nothing listening)', async () => {
    const port = await freePort();
    const pool = new Pool({ connectionString: `postgres://x@127.0.0.1:${port}/x` });
    const error = await caught(() => pool.query('SELECT 1'));
    await pool.end();
    expect(answer(error).problem).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(answer(error).headers['retry-after']).toBe('5');
  });

  it('a pool that cannot get a connection in time', async () => {
    const database = await createTestDatabase();
    // Long enough for the first connection on a loaded machine; the second waits it out.
    const pool = new Pool({
      connectionString: database.url,
      max: 1,
      connectionTimeoutMillis: 1500,
    });
    const held = await pool.connect();
    const error = await caught(() => pool.query('SELECT 1'));
    held.release();
    await pool.end();
    await database.drop();
    expect((error as Error).message).toMatch(/timeout exceeded when trying to connect/);
    expect(answer(error).problem.status).toBe(503);
  });

  it('a connection killed in the middle of a query (TypeORM QueryFailedError)', async () => {
    const database = await createTestDatabase();
    const dataSource = await new DataSource(
      dataSourceOptions({ url: database.url, poolMax: 2 }),
    ).initialize();
    try {
      const running = caught(() => dataSource.query('SELECT pg_sleep(10)'));
      const name = new URL(database.url).pathname.slice(1);
      // Wait until the query runs, then kill its backend as an operator or a failover would.
      for (let attempt = 0; attempt < 50; attempt++) {
        const admin = new Client({ connectionString: process.env.TEST_SERVER_URL });
        await admin.connect();
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%'`,
          [name],
        );
        await admin.end();
        if (rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const error = await running;
      expect((error as { name: string }).name).toBe('QueryFailedError');
      expect(answer(error).problem).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await dataSource.destroy().catch(() => undefined);
      await database.drop();
    }
  });

  it('a database that refuses connections (ALLOW_CONNECTIONS false)', async () => {
    const database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const pool = new Pool({ connectionString: database.url });
    pool.on('error', () => undefined);
    const error = await caught(() => pool.query('SELECT 1'));
    await pool.end();
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await database.drop();
    expect(answer(error).problem.status).toBe(503);
  });

  it('while a real bug stays a 500', async () => {
    const database = await createTestDatabase();
    const pool = new Pool({ connectionString: database.url });
    // The drop below may end a connection the pool is still closing: not this test's subject.
    pool.on('error', () => undefined);
    const error = await caught(() => pool.query('SELECT * FROM no_such_table'));
    await pool.end();
    await database.drop();
    expect(answer(error).problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
  });
});
