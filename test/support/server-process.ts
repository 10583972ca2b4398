import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const MAIN_JS = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs the built server (dist/) as a newcomer would, with only the given environment; `main` and
 * `cwd` run a copy of the build from elsewhere.
 */
export function spawnServer(
  env: Record<string, string>,
  port: number,
  { main = MAIN_JS, cwd }: { main?: string; cwd?: string } = {},
): ServerProcess {
  const child = spawn(process.execPath, [main], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Polls until the URL answers 200, or fails with the server's output. */
export async function waitUntilReady(
  server: ServerProcess,
  path = '/health/ready',
  timeoutMs = 60_000,
): Promise<number> {
  const started = Date.now();
  let exitedEarly = false;
  void server.exited.then(() => (exitedEarly = true));
  while (Date.now() - started < timeoutMs) {
    if (exitedEarly) throw new Error(`server exited before it was ready:\n${server.output()}`);
    try {
      const response = await fetch(server.baseUrl + path);
      if (response.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${server.output()}`);
}

/**
 * Runs the built server on a free port and waits until it is ready (killing it if it never gets
 * there); `readyMs` is how long that took.
 */
export async function startServer(
  env: Record<string, string>,
  { timeoutMs, ...where }: { main?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess & { readyMs: number }> {
  const server = spawnServer(env, await freePort(), where);
  try {
    return { ...server, readyMs: await waitUntilReady(server, '/health/ready', timeoutMs) };
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
}

/** Builds dist/ when it is missing (npm's pretest builds it; a lone jest run may not have). */
export function ensureBuilt(): void {
  if (!existsSync(MAIN_JS)) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
}

/** Sends `signal` and resolves with the exit code (or signal name). */
export async function stopServer(
  server: ServerProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | string> {
  server.child.kill(signal);
  return server.exited;
}

/** Stops the server if it still runs (for an afterAll). */
export async function stopIfRunning(server: ServerProcess | undefined): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    await stopServer(server);
  }
}

/**
 * The built server of the enclosing describe block: `start` runs it afresh (ready) and returns
 * it, as often as a test likes; an afterAll declared here stops the last one if it still runs.
 * `env` and `where` are read at each start (after the block's beforeAll has made its folders).
 */
export function useServer(
  env: () => Record<string, string>,
  where: () => { main?: string; cwd?: string } = () => ({}),
): () => Promise<ServerProcess & { readyMs: number }> {
  let server: ServerProcess | undefined;
  afterAll(() => stopIfRunning(server));
  return async () => (server = await startServer(env(), where()));
}

/**
 * Runs the built server with an `env` that must stop its start-up: it exits 1. Its output, line by
 * line.
 */
export async function failedStartLines(env: Record<string, string>, port = 0): Promise<string[]> {
  const server = spawnServer(env, port);
  expect(await server.exited).toBe(1);
  return server.output().trim().split('\n');
}

/** A JSON request to the server over real HTTP; `token` is sent as a bearer token. */
export async function fetchJson(
  server: ServerProcess,
  path: string,
  { body, token, method = body === undefined ? 'GET' : 'POST' }: JsonRequest = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(server.baseUrl + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as any };
}

export interface JsonRequest {
  body?: object;
  token?: string;
  method?: string;
}
