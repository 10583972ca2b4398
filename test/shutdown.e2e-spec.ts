import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { fetchJson, startServer } from './support/server-process';
import { createTestDatabase, TEST_JWT_SECRET } from './support/test-app';

jest.setTimeout(90_000);

/** The built server (npm's pretest builds it) in production mode, ready, with its exit time. */
async function startProduction(env: Record<string, string>) {
  const server = await startServer(
    { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', ...env },
    { timeoutMs: 30_000 },
  );
  return { ...server, exitedAt: server.exited.then((code) => ({ code, at: Date.now() })) };
}

/** Pids of running processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('Graceful shutdown of the built server', () => {
  it('on SIGTERM under load: finishes the requests in flight, every 2xx is stored, exits 0 within 10 s', async () => {
    const database = await createTestDatabase();
    const server = await startProduction({ DATABASE_URL: database.url, DATABASE_POOL_MAX: '4' });
    try {
      const register = await fetchJson(server, '/api/auth/register', {
        body: { email: 'load@example.com', password: 'password-123' },
      });
      expect(register.status).toBe(201);
      const token = register.body.access_token as string;

      const created: { id: string; title: string }[] = [];
      const failures: string[] = [];
      let signalledAt = Infinity;
      let answeredAfterSignal = 0;
      let sent = 0;
      // 16 clients creating tasks back to back until the server stops accepting connections.
      const client = async (clientId: number) => {
        for (;;) {
          const title = `task ${clientId}-${sent++}`;
          try {
            const response = await fetchJson(server, '/api/me/tasks', {
              token,
              body: { title, description: 'd'.repeat(500), priority: 'high' },
            });
            if (response.status === 201) {
              created.push({ id: response.body.id, title });
              if (Date.now() > signalledAt) answeredAfterSignal++;
            } else if (response.status !== 503) failures.push(`${response.status} ${title}`);
          } catch {
            return; // refused or closed: the server no longer accepts
          }
        }
      };
      const clients = Array.from({ length: 16 }, (_, index) => client(index));
      while (created.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));
      signalledAt = Date.now();
      server.child.kill('SIGTERM');
      const exit = await server.exitedAt;
      await Promise.all(clients);

      expect(exit.code).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(10_000);
      expect(failures).toEqual([]);
      // Requests that were in flight at SIGTERM were answered, not cut off.
      expect(answeredAfterSignal).toBeGreaterThan(0);
      expect(server.output()).not.toMatch(/"level":50/);
      // LOG_LEVEL=warn: the per-request lines (info) are not written.
      expect(server.output()).not.toContain('request completed');

      const check = new Client({ connectionString: database.url });
      await check.connect();
      try {
        const { rows } = await check.query<{ id: string; title: string; description: string }>(
          'SELECT id, title, description FROM tasks',
        );
        const stored = new Map(rows.map((row) => [row.id, row]));
        for (const task of created) {
          expect(stored.get(task.id)).toMatchObject({
            title: task.title,
            description: 'd'.repeat(500),
          });
        }
      } finally {
        await check.end();
      }
    } finally {
      server.child.kill('SIGKILL');
      await database.drop();
    }
  });

  it('with the embedded database: SIGINT (Ctrl-C) stops PostgreSQL too and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'task-api-shutdown-'));
    const server = await startProduction({ DATA_DIR: dataDir });
    try {
      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
      const register = await fetchJson(server, '/api/auth/register', {
        body: { email: 'embedded@example.com', password: 'password-123' },
      });
      expect(register.status).toBe(201);

      const signalledAt = Date.now();
      server.child.kill('SIGINT');
      const exit = await server.exitedAt;
      expect(exit.code).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(10_000);
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      server.child.kill('SIGKILL');
      for (const pid of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
