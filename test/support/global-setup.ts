import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../src/database/embedded-database';

/**
 * One PostgreSQL server for the whole run: the one DATABASE_URL names, or else a fresh embedded
 * one. Each test file then creates (and drops) its own database on it (see test-app.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'task-api-test-'));
  const database = await startEmbeddedDatabase(dataDir);
  process.env.TEST_SERVER_URL = database.url;
  process.env.TEST_EMBEDDED_DATA_DIR = dataDir;
  (globalThis as { embeddedDatabase?: typeof database }).embeddedDatabase = database;
}
