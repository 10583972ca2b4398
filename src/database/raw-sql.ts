import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Parameterized SQL straight on TypeORM's own pg pool (same connections, same settings), for the
 * statements every request runs: the access-token check and GET one task. TypeORM's query()
 * wraps each statement in a query runner, logger and event broadcast, which cost 60-80 µs of CPU
 * per GET one task (a third of what the rest of the request costs). Errors are pg's own, with
 * the SQLSTATE in `code`, which the ProblemFilter reads as it reads TypeORM's driverError.
 */
@Injectable()
export class RawSql {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async rows<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return (await this.pool.query(sql, parameters)).rows as T[];
  }
}
