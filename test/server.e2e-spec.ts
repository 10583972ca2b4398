import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureBuilt,
  failedStartLines,
  fetchJson,
  stopServer,
  useServer,
} from './support/server-process';

/**
 * The newcomer's path: the built server with no configuration at all runs on an embedded
 * PostgreSQL in DATA_DIR, keeps data and signing key across restarts, and survives being killed.
 */
describe('the server process on its embedded database', () => {
  let dataDir: string;
  /** The server on DATA_DIR, started afresh and ready (and stopped before the afterAll below). */
  const start = useServer(() => ({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }));
  const user = { email: 'newcomer@example.com', password: 'password-123' };

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'task-api-server-'));
  });

  afterAll(() => {
    stopLeftoverPostmaster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, keeps data and signing key across a restart, and survives a SIGKILL', async () => {
    let running = await start();
    const registered = await fetchJson(running, '/api/auth/register', { body: user });
    expect(registered.status).toBe(201);
    const token = registered.body.access_token as string;
    const created = await fetchJson(running, '/api/me/tasks', {
      body: { title: 'survives restarts' },
      token,
    });
    expect(created.status).toBe(201);
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(
      32,
    );

    await stopServer(running);

    running = await start();
    // The same token still verifies: the signing key was kept in DATA_DIR.
    const tasks = await fetchJson(running, '/api/me/tasks', { token });
    expect(tasks.status).toBe(200);
    expect((tasks.body as { title: string }[]).map((task) => task.title)).toEqual([
      'survives restarts',
    ]);

    // A killed server leaves its postmaster behind; the next start must clean up, not fail.
    await stopServer(running, 'SIGKILL');
    running = await start();
    expect((await fetchJson(running, '/api/auth/login', { body: user })).status).toBe(200);
  }, 120_000);
});

describe('start-up configuration errors', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/x' }, 'JWT_SECRET'],
    [
      { NODE_ENV: 'production', JWT_SECRET: 'too-short', DATABASE_URL: 'postgres://127.0.0.1:1/x' },
      'JWT_SECRET',
    ],
  ])(
    '%j stops the process with one line naming %s',
    async (env, variable) => {
      const lines = await failedStartLines({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'task-api-config-')),
        ...env,
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(variable);
    },
    30_000,
  );
});

function stopLeftoverPostmaster(dataDir: string) {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    // already gone
  }
}
