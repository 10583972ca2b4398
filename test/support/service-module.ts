import { tmpdir } from 'node:os';
import type { ModuleMetadata, Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfig, loadConfig } from '../../src/config/config';
import { PagingModule } from '../../src/common/paging';
import { ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { Sql } from '../../src/database/sql';
import { ProblemException } from '../../src/common/problem';
import { countRows as countTableRows } from './db';
import { createTestDatabase, TEST_JWT_SECRET } from './test-app';

/**
 * A feature's services and repositories on the real, migrated database, with no HTTP in between:
 * for rules with many cases (lockout, races, paging edges) that an e2e test would make slow.
 */
export interface ServiceModule {
  module: TestingModule;
  config: AppConfig;
  get: <T>(type: Type<T>) => T;
  /** The module's own executor: set-up and checks go through the same pool as the services. */
  sql: Sql;
  close: () => Promise<void>;
}

export interface ServiceModuleOptions {
  providers?: Provider[];
  imports?: ModuleMetadata['imports'];
}

/** A testing module on a fresh database of its own, dropped again by `close`. */
export async function createServiceModule({
  providers = [],
  imports = [],
}: ServiceModuleOptions = {}): Promise<ServiceModule> {
  const database = await createTestDatabase();
  // JWT_SECRET is given, so DATA_DIR is never written to.
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: tmpdir(),
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '10',
  });
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot({
        url: database.url,
        poolMax: config.databasePoolMax,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        migrationsRun: true,
      }),
      PagingModule,
      ...imports,
    ],
    providers,
  }).compile();
  await module.init();
  return {
    module,
    config,
    get: (type) => module.get(type),
    sql: module.get(Sql),
    close: async () => {
      await module.close();
      await database.drop();
    },
  };
}

/**
 * The `createServiceModule` of the enclosing describe block: created in its beforeAll, closed in
 * its afterAll. Read its fields inside hooks and tests only.
 */
export function useServiceModule(options: ServiceModuleOptions = {}): ServiceModule {
  let current: ServiceModule | undefined;
  beforeAll(async () => {
    current = await createServiceModule(options);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const started = () => {
    if (!current) throw new Error('useServiceModule: the module runs only within hooks and tests');
    return current;
  };
  return {
    get module() {
      return started().module;
    },
    get config() {
      return started().config;
    },
    get sql() {
      return started().sql;
    },
    get: (type) => started().get(type),
    close: () => started().close(),
  };
}

/** Inserts users straight into the table (no password that works); returns their ids in order. */
export async function insertUsers(sql: Sql, roles: ('user' | 'admin')[]): Promise<string[]> {
  const rows = await sql.rows<{ id: string }>(
    `INSERT INTO users (email, password_hash, role)
     SELECT 'user-' || gen_random_uuid() || '@example.com', 'not-a-hash', role
       FROM unnest($1::text[]) WITH ORDINALITY AS r (role, n) ORDER BY n
     RETURNING id`,
    [roles],
  );
  return rows.map((row) => row.id);
}

/** 'ok' when `work` resolves, else the code of the ProblemException it rejects with. */
export async function outcomeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    if (error instanceof ProblemException) return error.code;
    throw error;
  }
}

/** db.ts's countRows, on the module's executor. */
export const countRows = (sql: Sql, table: string, where?: string, params?: unknown[]) =>
  countTableRows({ sql: (text, values) => sql.rows(text, values) }, table, where, params);
