import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * What a repository runs its SQL on: the pool itself, or one transaction's connection. Every
 * query of the API goes through one of these two, so a repository method takes an `SqlExecutor`
 * and works the same inside or outside a transaction.
 */
export interface SqlExecutor {
  /** The rows of a parameterized statement, typed by the caller. */
  rows<T>(text: string, parameters?: unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T>(text: string, parameters?: unknown[]): Promise<T | undefined>;
  /** The number of rows a statement touched (UPDATE, DELETE, INSERT). */
  execute(text: string, parameters?: unknown[]): Promise<number>;
}

/** Statements on a pool or on one connection. */
class Executor implements SqlExecutor {
  constructor(protected readonly on: Pool | PoolClient) {}

  async rows<T>(text: string, parameters?: unknown[]): Promise<T[]> {
    return (await this.on.query(text, parameters)).rows as T[];
  }

  async one<T>(text: string, parameters?: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(text, parameters))[0];
  }

  async execute(text: string, parameters?: unknown[]): Promise<number> {
    return (await this.on.query(text, parameters)).rowCount ?? 0;
  }
}

/**
 * The one way the API reaches the database: parameterized SQL on TypeORM's own pg pool (same
 * connections, same settings, DATABASE_STATEMENT_TIMEOUT included). TypeORM keeps what it is good
 * at here (the DataSource, migrations, the CLI, entity metadata); its repositories and query
 * builder are not used at run time: they cost 60-80 µs of CPU per statement in query runners,
 * logging and event broadcasts, and they hide the SQL a reviewer needs to see.
 *
 * Errors are pg's own, with the SQLSTATE in `code`, which database-errors.ts classifies.
 */
@Injectable()
export class Sql extends Executor {
  readonly pool: Pool;

  constructor(dataSource: DataSource) {
    const pool = (dataSource.driver as PostgresDriver).master as Pool;
    super(pool);
    this.pool = pool;
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back
   * when it throws (the error goes on to the caller).
   */
  async transaction<T>(
    work: (tx: SqlExecutor) => Promise<T>,
    { isolation }: { isolation?: 'serializable' | 'repeatable read' } = {},
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}` : 'BEGIN');
      const result = await work(new Executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back must not go back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
