import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp, CreateAppOptions } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/config';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** The test file's own database. */
  databaseUrl: string;
  http: () => ReturnType<typeof request>;
  sql: <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

/** A URL for another database on the same server. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(query: string): Promise<void> {
  const client = new Client({ connectionString: process.env.TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** A fresh database built by the migrations. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.TEST_SERVER_URL;
  if (!serverUrl)
    throw new Error('TEST_SERVER_URL is unset: run the e2e tests through jest (global-setup).');
  const name = `task_api_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    url: withDatabase(serverUrl, name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * The real app over HTTP on its own clean database; `env` overrides configuration. Silent unless
 * `options.logDestination` asks for the log lines. `connectVia` rewrites the URL the app uses.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
  connectVia: (url: string) => string = (url) => url,
): Promise<TestApp> {
  const database = await createTestDatabase();
  return startTestApp(database.url, env, options, connectVia(database.url), database.drop);
}

/**
 * The real app on a database that exists already (another instance may share it), with a
 * DATA_DIR of its own; `onClose` runs once the app has closed.
 */
export async function startTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
  appUrl = databaseUrl,
  onClose: () => Promise<void> = async () => {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'task-api-data-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: dataDir,
    DATABASE_URL: appUrl,
    DATABASE_POOL_MAX: '5',
    // Every request of a test comes from 127.0.0.1: the per-address limits would trip suites that
    // register many users. The throttling tests set their own small limits.
    AUTH_RATE_LIMIT: '1000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
    ...env,
  });
  const app = await createApp(config, appUrl, { logger: false, ...options });
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    config,
    databaseUrl,
    http: () => request(app.getHttpServer()),
    sql: (query, params) => dataSource.query(query, params),
    close: async () => {
      await app.close();
      await onClose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A database that several app instances share, and the way to start one more on it. */
export interface SharedDatabase {
  readonly url: string;
  /** One more instance on the database; closed at the end of the block unless closed before. */
  start: (env?: Record<string, string>) => Promise<TestApp>;
}

/**
 * A clean database of the enclosing describe block, for several instances at once: created in a
 * beforeAll declared here; in its afterAll, every instance still open is closed, then the
 * database is dropped.
 */
export function useSharedDatabase(): SharedDatabase {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  const open = new Set<TestApp>();
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all([...open].map((app) => app.close()));
    await database?.drop();
    database = undefined;
  });
  const url = () => {
    if (!database)
      throw new Error('useSharedDatabase: the database exists only within hooks and tests');
    return database.url;
  };
  return {
    get url() {
      return url();
    },
    start: async (env = {}) => {
      const app: TestApp = await startTestApp(url(), env, {}, url(), async () => {
        open.delete(app);
      });
      open.add(app);
      return app;
    },
  };
}

/**
 * The `createTestApp` of the enclosing describe block: started in a beforeAll declared here, so
 * before the block's own hooks (which may use it), and closed in its afterAll.
 */
export function useTestApp(
  env: Record<string, string> | (() => Record<string, string>) = {},
  options: CreateAppOptions = {},
  connectVia?: (url: string) => string,
): TestApp {
  let current: TestApp | undefined;
  // A start (database, migrations, job queue) on a loaded 2-core machine can pass jest's 5 s.
  // `env` as a function: read when the app starts, after the hooks declared before this call.
  beforeAll(async () => {
    current = await createTestApp(typeof env === 'function' ? env() : env, options, connectVia);
  }, 30_000);
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const started = () => {
    if (!current) throw new Error('useTestApp: the app runs only within hooks and tests');
    return current;
  };
  return {
    get app() {
      return started().app;
    },
    get config() {
      return started().config;
    },
    get databaseUrl() {
      return started().databaseUrl;
    },
    http: () => started().http(),
    sql: (query, params) => started().sql(query, params),
    close: async () => {
      const app = started();
      current = undefined;
      await app.close();
    },
  };
}
