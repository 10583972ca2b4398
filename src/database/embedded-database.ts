import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { readOrCreateSecret } from '../config/config';

export interface RunningDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Start-up cannot go on: the message is one line, naming the folder and the way out. */
export class EmbeddedDatabaseError extends Error {}

const START_TIMEOUT_MS = 30_000;
const WAYS_OUT = 'set DATABASE_URL to use your own PostgreSQL, or run as a user other than root';

/**
 * Run as root, PostgreSQL runs as the `postgres` system user (it refuses root). That user must
 * reach its binaries and its cluster. When the project lives under a folder it cannot enter
 * (/root is mode 700), both go here instead: the binaries copied once per package version, and
 * the cluster of such a DATA_DIR in clusters/, with DATA_DIR/pg a symlink to it. A system folder
 * (not a temporary one) because it holds the database itself.
 */
export const ROOT_CACHE_DIR = '/var/lib/task-api-embedded-postgres';

interface PostgresUser {
  uid: number;
  gid: number;
}

/**
 * The zero-setup database: the real PostgreSQL binaries from the embedded-postgres package,
 * with their cluster in `<dataDir>/pg`, on a free loopback port, started and stopped with the app.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<RunningDatabase> {
  await mkdir(dataDir, { recursive: true }).catch((error: unknown) => {
    throw new EmbeddedDatabaseError(
      `Cannot create DATA_DIR ${dataDir} (${errorCode(error)}): set DATA_DIR to a folder that can ` +
        'be created and written, or DATABASE_URL to use your own PostgreSQL',
    );
  });
  const password = readOrCreateSecret(join(dataDir, 'db-password'));
  const user = userInfo().uid === 0 ? ensurePostgresUser() : undefined;
  let binDir = packagedBinDir();
  let clusterDir = join(dataDir, 'pg');
  if (user) {
    // The postgres user must traverse DATA_DIR itself (a fresh one is mode 700 under umask 077).
    await chmod(dataDir, (await stat(dataDir)).mode | 0o011);
    binDir = await reachableBinDir(binDir, user, log);
    clusterDir = await reachableClusterDir(dataDir, user, log);
  }
  await stopStalePostmaster(clusterDir, log);
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`initialising the embedded PostgreSQL cluster in ${clusterDir}`);
    await initialise(binDir, clusterDir, password, user);
  }
  const port = await freePort();
  const server = await startPostgres(binDir, clusterDir, port, user);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

/** The `native` folder (bin, lib, share) of the platform package that embedded-postgres uses. */
function packagedBinDir(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  const fromHere = createRequire(__filename);
  const fromEmbeddedPostgres = createRequire(fromHere.resolve('embedded-postgres'));
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${os}-${arch()}`);
  return join(dirname(entry), '..', 'native');
}

/** The `postgres` system user, created the way embedded-postgres does when it is missing. */
function ensurePostgresUser(): PostgresUser {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', '--system', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '-g', 'postgres', '-M', 'postgres'], {
        stdio: 'ignore',
      });
      return ids();
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `Running as root, PostgreSQL needs a "postgres" system user, and creating it failed ` +
          `(${errorCode(error)}): create it (useradd --system postgres), or ${WAYS_OUT}`,
      );
    }
  }
}

/** Whether the postgres user can do `test <flag> <path>`: the kernel's answer, ACLs included. */
function postgresCan(user: PostgresUser, flag: '-x' | '-r', path: string): boolean {
  return spawnSync('test', [flag, path], { ...user, stdio: 'ignore' }).status === 0;
}

/**
 * The packaged binaries when the postgres user can run them where they are, or else a copy in
 * ROOT_CACHE_DIR, made once per package version: copied to a private name and renamed into
 * place, so that processes starting at once never see (or run) a half-made copy.
 */
async function reachableBinDir(
  packaged: string,
  user: PostgresUser,
  log: (line: string) => void,
): Promise<string> {
  if (postgresCan(user, '-x', join(packaged, 'bin', 'postgres'))) return packaged;
  const version = (
    JSON.parse(readFileSync(join(packaged, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const copy = join(ROOT_CACHE_DIR, `postgres-${version}-${platform()}-${arch()}`);
  if (existsSync(join(copy, 'bin', 'postgres'))) return copy;
  const cannot = (error: unknown) =>
    new EmbeddedDatabaseError(
      `Running as root, PostgreSQL runs as the postgres user, which cannot reach ${packaged}, ` +
        `and copying the binaries to ${ROOT_CACHE_DIR} failed (${errorCode(error)}): ` +
        `install the project in a folder the postgres user can enter, or ${WAYS_OUT}`,
    );
  const staging = `${copy}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  try {
    await makeCacheDir(ROOT_CACHE_DIR);
    log(`copying the PostgreSQL binaries to ${copy}, where the postgres user can run them`);
    await cp(packaged, staging, { recursive: true, verbatimSymlinks: true });
    await openToOthers(staging);
    await rename(staging, copy);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process renamed its copy into place first: use that one.
    if (!existsSync(join(copy, 'bin', 'postgres'))) throw cannot(error);
  }
  if (!postgresCan(user, '-x', join(copy, 'bin', 'postgres'))) {
    throw cannot(new Error('EACCES'));
  }
  return copy;
}

/**
 * DATA_DIR/pg when the postgres user can enter DATA_DIR. Otherwise the cluster lives in
 * ROOT_CACHE_DIR/clusters/<hash of DATA_DIR>, and DATA_DIR/pg is a symlink to it, so DATA_DIR is
 * still where one looks. A cluster left there by a DATA_DIR since deleted (its db-password gone
 * with it) is replaced, as deleting DATA_DIR resets the database everywhere else.
 */
async function reachableClusterDir(
  dataDir: string,
  user: PostgresUser,
  log: (line: string) => void,
): Promise<string> {
  const link = join(dataDir, 'pg');
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = await readlink(link);
    await mkdir(target, { recursive: true, mode: 0o700 });
    await chown(target, user.uid, user.gid);
    return target;
  }
  if (postgresCan(user, '-x', dataDir)) {
    await mkdir(link, { recursive: true, mode: 0o700 });
    await chown(link, user.uid, user.gid);
    return link;
  }
  if (existing) {
    throw new EmbeddedDatabaseError(
      `Running as root, PostgreSQL runs as the postgres user, which cannot enter DATA_DIR ` +
        `${dataDir} to reach its cluster ${link}: move DATA_DIR to a folder it can enter, ` +
        `or ${WAYS_OUT}`,
    );
  }
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const target = join(ROOT_CACHE_DIR, 'clusters', hash);
  try {
    await makeCacheDir(join(ROOT_CACHE_DIR, 'clusters'));
    if (existsSync(target)) {
      log(`replacing the cluster ${target} of an earlier, deleted ${link}`);
      await rm(target, { recursive: true, force: true });
    }
    await mkdir(target, { mode: 0o700 });
    await chown(target, user.uid, user.gid);
    await symlink(target, link);
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `Running as root, PostgreSQL runs as the postgres user, which cannot enter DATA_DIR ` +
        `${dataDir}, and making its cluster in ${target} failed (${errorCode(error)}): set ` +
        `DATA_DIR to a folder it can enter, or ${WAYS_OUT}`,
    );
  }
  log(
    `the postgres user cannot enter ${dataDir}: its cluster lives in ${target} (${link} links there)`,
  );
  return target;
}

async function makeCacheDir(dir: string) {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
}

/** Read (and run, where the owner may) for everyone: the copy may have kept a umask-077 mode. */
async function openToOthers(dir: string) {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await openToOthers(path);
    else if (entry.isFile()) {
      const { mode } = await stat(path);
      await chmod(path, mode & 0o100 ? mode | 0o555 : mode | 0o444);
    }
  }
}

/** initdb, with the superuser password handed over in a file only the server's user can read. */
async function initialise(
  binDir: string,
  clusterDir: string,
  password: string,
  user: PostgresUser | undefined,
) {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(
    dirname(clusterDir),
    `.initdb-password-${randomBytes(6).toString('hex')}`,
  );
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  try {
    if (user) await chown(passwordFile, user.uid, user.gid);
    const initdb = (locale: string) =>
      run(
        join(binDir, 'bin', 'initdb'),
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          `--locale=${locale}`,
        ],
        user,
      );
    // C.UTF-8 sorts by code point as C does, but its character classes know Unicode: lower()
    // folds 'Ü' and pg_trgm counts it a letter, so q= matches 'BÜRO' in 'Büro' as on the
    // PostgreSQL servers Debian sets up. A libc without C.UTF-8 gets C (ASCII-only folding).
    let { code, output } = await initdb('C.UTF-8');
    if (code !== 0 && /invalid locale/i.test(output)) ({ code, output } = await initdb('C'));
    if (code !== 0) {
      throw new EmbeddedDatabaseError(
        `initdb could not create the embedded PostgreSQL cluster in ${clusterDir}: ` +
          `${lastErrorLine(output)}; set DATA_DIR to another folder, or ${WAYS_OUT}`,
      );
    }
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

/** Runs a binary to its end; a failure to spawn it at all (EACCES) is one clear line too. */
function run(file: string, args: string[], user: PostgresUser | undefined) {
  return new Promise<{ code: number | null; output: string }>((resolveRun, reject) => {
    const child = spawn(file, args, spawnOptions(user));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(cannotRun(file, error)));
    child.once('close', (code) => resolveRun({ code, output }));
  });
}

function spawnOptions(user: PostgresUser | undefined) {
  return {
    ...(user ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
}

function cannotRun(file: string, error: unknown) {
  return new EmbeddedDatabaseError(
    `Cannot run the embedded PostgreSQL binary ${file} (${errorCode(error)}): ` +
      `reinstall the dependencies (npm ci), or ${WAYS_OUT}`,
  );
}

/** The postmaster, on loopback only; resolves once it accepts connections. */
async function startPostgres(
  binDir: string,
  clusterDir: string,
  port: number,
  user: PostgresUser | undefined,
): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    join(binDir, 'bin', 'postgres'),
    // No Unix socket that could collide with a system server's.
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    spawnOptions(user),
  );
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  // Like embedded-postgres did: a process that exits without stopping it (process.exit) stops
  // its server too. A SIGKILLed one cannot; the next start cleans up (stopStalePostmaster).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const recent: string[] = [];
  try {
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${START_TIMEOUT_MS / 1000}s`)),
        START_TIMEOUT_MS,
      );
      child.stderr!.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        remember(recent, text);
        if (text.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          resolveStart();
        }
      });
      child.stdout!.on('data', (chunk: Buffer) => remember(recent, chunk.toString()));
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(cannotRun(join(binDir, 'bin', 'postgres'), error));
      });
      child.once('close', () => {
        clearTimeout(timer);
        reject(new Error('the server exited'));
      });
    });
  } catch (error) {
    process.removeListener('exit', stopOnExit);
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    if (error instanceof EmbeddedDatabaseError) throw error;
    throw new EmbeddedDatabaseError(
      `The embedded PostgreSQL in ${clusterDir} did not start (${(error as Error).message}): ` +
        `${lastErrorLine(recent.join(''))}`,
      { cause: error },
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', stopOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

function lastErrorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = lines.filter((line) => /(FATAL|ERROR|PANIC|error|could not)/.test(line));
  return (errors.at(-1) ?? lines.at(-1) ?? 'no output').replace(/^\S+ \S+ \S+ \[\d+\] /, '');
}

function errorCode(error: unknown): string {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  return code ?? message ?? String(error);
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
