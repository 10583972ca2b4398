import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAIN_JS,
  freePort,
  spawnServer,
  waitUntilReady,
  ServerProcess,
} from './support/server-process';

/**
 * The newcomer's path: the built server with no configuration at all runs on an embedded
 * PostgreSQL in DATA_DIR, keeps data and signing key across restarts, and survives being killed.
 */
describe('the server process on its embedded database', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  const env = () => ({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

  beforeAll(() => {
    if (!existsSync(MAIN_JS)) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
    dataDir = mkdtempSync(join(tmpdir(), 'task-api-server-'));
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    stopLeftoverPostmaster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (path: string, body: object, token?: string) =>
    fetch(server!.baseUrl + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('starts, keeps data and signing key across a restart, and survives a SIGKILL', async () => {
    server = spawnServer(env(), await freePort());
    await waitUntilReady(server);
    const registered = await post('/api/auth/register', {
      email: 'newcomer@example.com',
      password: 'password-123',
    });
    expect(registered.status).toBe(201);
    const { access_token: token } = (await registered.json()) as { access_token: string };
    const created = await post('/api/me/tasks', { title: 'survives restarts' }, token);
    expect(created.status).toBe(201);
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(
      32,
    );

    server.child.kill('SIGTERM');
    await server.exited;

    server = spawnServer(env(), await freePort());
    await waitUntilReady(server);
    // The same token still verifies: the signing key was kept in DATA_DIR.
    const tasks = await fetch(`${server.baseUrl}/api/me/tasks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(tasks.status).toBe(200);
    expect(((await tasks.json()) as { title: string }[]).map((task) => task.title)).toEqual([
      'survives restarts',
    ]);

    // A killed server leaves its postmaster behind; the next start must clean up, not fail.
    server.child.kill('SIGKILL');
    await server.exited;
    server = spawnServer(env(), await freePort());
    await waitUntilReady(server);
    const login = await post('/api/auth/login', {
      email: 'newcomer@example.com',
      password: 'password-123',
    });
    expect(login.status).toBe(200);
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
      const server = spawnServer(
        { DATA_DIR: mkdtempSync(join(tmpdir(), 'task-api-config-')), ...env },
        0,
      );
      expect(await server.exited).toBe(1);
      const lines = server.output().trim().split('\n');
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
