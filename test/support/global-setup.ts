import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../src/database/embedded-database';

/**
 * One PostgreSQL server for the whole run: the one DATABASE_URL names, or else a fresh embedded
 * one. Each test file then creates (and drops) its own database on it (see test-app.ts).
 */
export default async function globalSetup() {
  process.env.TEST_REDIS_REACHABLE = String(
    await reachable(new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')),
  );
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

/** Whether something accepts TCP connections at the URL's host and port (within a second). */
function reachable(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379), timeout: 1_000 });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
