// The benchmark of issue 8: `npm run bench [-- --quick | --smoke | --soak] [--cpu-prof] [--no-build] [--log-sql]`.
// Builds a dataset with SQL in a scratch database on the local PostgreSQL, starts the BUILT API
// and the bare baseline (bench/baseline/server.mjs), drives both with autocannon over loopback
// and writes bench/results/latest.md. The last stdout line is the one-line summary.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import * as dataset from './dataset.mjs';
import { summarizeProfile } from './profile-summary.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const RESULTS = join(BENCH_DIR, 'results');
const ARGS = new Set(process.argv.slice(2));
const MODE = ['smoke', 'soak', 'quick'].find((mode) => ARGS.has(`--${mode}`)) ?? 'full';
const PROFILE = ARGS.has('--cpu-prof');
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const CONNECTIONS = 32;
const LOGIN_CONNECTIONS = 16;

/** Same code paths in every mode; only sizes and durations (seconds) change. */
const SETTINGS = {
  full: { sizes: [1_000, 100_000, 1_000_000], duration: 10, warmup: 3, rounds: 2, deepPages: 50 },
  quick: { sizes: [1_000, 10_000, 100_000], duration: 3, warmup: 1, rounds: 1, deepPages: 20 },
  smoke: { sizes: [200, 1_000], duration: 1, warmup: 0, rounds: 1, deepPages: 3 },
  soak: { sizes: [100_000], duration: 300, warmup: 3, rounds: 1, deepPages: 0 },
}[MODE];
/** The value of `--name=value` on the command line, if given. */
const argValue = (name) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
// --duration=N, --warmup=N (seconds) and --rounds=N override the mode's settings (a short soak
// to try the harness, or longer rounds for an A/B comparison).
for (const name of ['duration', 'warmup', 'rounds']) {
  if (argValue(name) !== undefined) SETTINGS[name] = Number(argValue(name));
}
// For A/B work on one change: --sizes=10000,100000 and --only=get-one,list-page (other
// scenarios are skipped; the summary then covers what ran).
const listArg = (name) => argValue(name)?.split(',');
const sizesArg = listArg('sizes');
if (sizesArg) SETTINGS.sizes = sizesArg.map(Number);
const ONLY = listArg('only');
const runs = (scenario) => !ONLY || ONLY.includes(scenario);

const log = (line) => console.log(`[bench] ${line}`);
const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server child process; `rssMb()` reads its resident set from /proc. */
async function startServer(name, args, env, readyPath) {
  const port = await freePort();
  const logFile = join(RESULTS, `${name}.log`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited: ${Buffer.concat(output).toString().slice(-2000)}`);
    }
    const ok = await fetch(base + readyPath).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (waited > 60_000) throw new Error(`${name} did not start within 60 s`);
    await sleep(100);
  }
  return {
    name,
    base,
    pid: child.pid,
    rssMb: () => rssMb(child.pid),
    signal: (signal) => child.kill(signal),
    async stop() {
      writeFileSync(logFile, Buffer.concat(output));
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function rssMb(pid) {
  if (!existsSync(`/proc/${pid}/status`)) return NaN; // the server died: its scenario reports errors
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const percentile = (sorted, p) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * One autocannon run. `request(i)` may vary each request (a random id, a body). Latencies come
 * from autocannon's per-response timings (fractional ms), percentiles computed here.
 */
async function drive({
  base,
  path,
  method = 'GET',
  token,
  body,
  vary,
  connections = CONNECTIONS,
  duration,
}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const latencies = [];
  const instance = autocannon({
    url: base,
    connections,
    duration,
    requests: [
      {
        method,
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // A fresh headers object each time: autocannon writes Content-Length into it, which a
        // bodiless request after a POST would otherwise inherit.
        ...(vary && {
          setupRequest: (request) => ({ ...request, headers: { ...headers }, ...vary() }),
        }),
      },
    ],
  });
  const statuses = {};
  instance.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    rps: result.requests.average,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    error:
      failures > 0
        ? `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts (statuses ${JSON.stringify(statuses)})`
        : undefined,
  };
}

const pick = (items) => items[Math.floor(Math.random() * items.length)];

async function login(base, email) {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: dataset.PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}

async function getJson(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json().catch(() => null),
  };
}

/** The API and the baseline must answer the same request with the same JSON, or the ratio means nothing. */
async function checkSameAnswers(api, baseline, token, taskId) {
  for (const path of [`/api/me/tasks/${taskId}`, '/api/me/tasks']) {
    const [a, b] = await Promise.all([
      getJson(api.base + path, token),
      getJson(baseline.base + path, token),
    ]);
    const same =
      a.status === 200 &&
      JSON.stringify(a.body) === JSON.stringify(b.body) &&
      a.headers.get('etag') === b.headers.get('etag') &&
      a.headers.get('x-total-count') === b.headers.get('x-total-count') &&
      a.headers.get('link') === b.headers.get('link');
    if (!same)
      throw new Error(
        `baseline and API differ on GET ${path} (API ${a.status}, baseline ${b.status})`,
      );
  }
}

/** Follows rel="next" links to the deep page of a filtered, sorted list; null when unsupported. */
async function findDeepPage(api, token, pages) {
  let path = '/api/me/tasks?status=pending&priority=high&sort=due_date&order=asc&limit=20';
  const first = await getJson(api.base + path, token);
  if (first.status !== 200)
    return { missing: `n/a: route missing (filtered, sorted list answered ${first.status})` };
  for (let page = 1; page < pages; page++) {
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(
      (await fetchHead(api.base + path, token)) ?? '',
    );
    if (!next) return { missing: `n/a: route missing (no Link rel="next" after page ${page})` };
    const url = new URL(next[1], api.base + path);
    path = url.pathname + url.search;
  }
  return { path };
}

async function fetchHead(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.headers.get('link');
}

async function writeProfile(api, name, dir) {
  const before = existsSync(dir) ? readdirSync(dir).length : 0;
  api.signal('SIGWINCH');
  for (let i = 0; i < 100 && (existsSync(dir) ? readdirSync(dir).length : 0) === before; i++)
    await sleep(100);
  return { name, file: join(dir, `${before}.cpuprofile`) };
}

async function main() {
  const started = Date.now();
  const load = os.loadavg();
  mkdirSync(RESULTS, { recursive: true });
  if (!ARGS.has('--no-build')) {
    log('building the API (npm run build)');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const dbName = `task_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  // To re-check that the baseline sends what TypeORM sends: statements go to the server's log.
  if (ARGS.has('--log-sql'))
    await admin.query(`ALTER DATABASE ${dbName} SET log_statement = 'all'`);
  const databaseUrl = Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${dbName}` }).toString();
  const db = new pg.Client({ connectionString: databaseUrl });
  const servers = [];
  const rows = [];
  const profiles = [];
  let soak;
  const profileDir = join(RESULTS, 'profiles');
  try {
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      JWT_ACCESS_TTL: '2h',
      // Login is measured for hashing cost, not throttling: lift the per-address limits.
      AUTH_RATE_LIMIT: '1000000',
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      LOGIN_MAX_FAILURES_PER_EMAIL: '1000000',
    };
    if (PROFILE) rmSync(profileDir, { recursive: true, force: true });
    const apiArgs = PROFILE ? ['--require', join(BENCH_DIR, 'profile-hook.cjs')] : [];
    log(`scratch database ${dbName}; starting the API (runs the migrations)`);
    const api = await startServer(
      'api',
      [...apiArgs, join(ROOT, 'dist/src/main.js')],
      { ...env, BENCH_PROFILE_DIR: profileDir },
      '/health/live',
    );
    servers.push(api);
    const baseline = await startServer(
      'baseline',
      [join(BENCH_DIR, 'baseline/server.mjs')],
      env,
      '/health/live',
    );
    servers.push(baseline);
    await db.connect();

    const maxSize = Math.max(...SETTINGS.sizes);
    let t = Date.now();
    await dataset.createUsers(db, { loginUsers: 64, fillerUsers: dataset.fillerUsersFor(maxSize) });
    log(`users created in ${Date.now() - t} ms`);
    const scaleToken = await login(api.base, dataset.SCALE_USER);
    const writerToken = await login(api.base, dataset.WRITER_USER);
    const adminToken = await login(api.base, dataset.ADMIN_USER);

    const record = (row) => {
      rows.push(row);
      const figures =
        row.error ??
        row.missing ??
        `${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms`;
      log(
        `${row.scenario} ${row.size ?? ''} ${row.target}: ${figures}, RSS ${row.rss.toFixed(0)} MB`,
      );
    };
    const measure = async (server, scenario, size, options) => {
      if (SETTINGS.warmup > 0)
        await drive({ ...options, base: server.base, duration: SETTINGS.warmup });
      const result = await drive({ ...options, base: server.base, duration: SETTINGS.duration });
      record({ scenario, size, target: server.name, ...result, rss: server.rssMb() });
      return result;
    };

    if (MODE === 'soak') {
      soak = await runSoak(api, db, writerToken, scaleToken);
    } else {
      let total = 0;
      for (const size of SETTINGS.sizes) {
        t = Date.now();
        total = await dataset.growTasks(db, total, size);
        log(`tasks table at ${sizeLabel(size)} rows (${Date.now() - t} ms)`);
        const ids = await dataset.sampleTaskIds(db, dataset.SCALE_USER, 1000);
        await checkSameAnswers(api, baseline, scaleToken, ids[0]);
        const getOne = {
          token: scaleToken,
          path: `/api/me/tasks/${ids[0]}`,
          vary: () => ({ path: `/api/me/tasks/${pick(ids)}` }),
        };
        const listPage = { token: scaleToken, path: '/api/me/tasks' };
        const profiling = PROFILE && size === maxSize;
        for (let round = 0; round < SETTINGS.rounds; round++) {
          for (const server of [api, baseline]) {
            for (const [scenario, options] of [
              ['get-one', getOne],
              ['list-page', listPage],
            ]) {
              if (!runs(scenario)) continue;
              const profiled = profiling && server === api && round === 0;
              if (profiled) await writeProfile(api, 'discard', profileDir);
              await measure(server, scenario, size, options);
              if (profiled) profiles.push(await writeProfile(api, scenario, profileDir));
            }
          }
        }
      }

      await dataset.createWriterTasks(db, 1000);
      const writerIds = await dataset.sampleTaskIds(db, dataset.WRITER_USER, 1000);
      if (runs('create'))
        await measure(api, 'create', undefined, {
          token: writerToken,
          path: '/api/me/tasks',
          method: 'POST',
          body: {
            title: 'Benchmark task',
            description: 'Created by the benchmark',
            priority: 'high',
            tags: ['bench', 'load'],
          },
        });
      if (runs('toggle'))
        await measure(api, 'toggle', undefined, {
          token: writerToken,
          path: `/api/me/tasks/${writerIds[0]}/complete`,
          method: 'PATCH',
          vary: () => ({ path: `/api/me/tasks/${pick(writerIds)}/complete` }),
        });
      if (runs('deep-page')) {
        const deep = await findDeepPage(api, scaleToken, SETTINGS.deepPages);
        if (deep.missing)
          record({
            scenario: `deep-page (${SETTINGS.deepPages})`,
            target: 'api',
            missing: deep.missing,
            rss: api.rssMb(),
          });
        else
          await measure(api, `deep-page (${SETTINGS.deepPages})`, maxSize, {
            token: scaleToken,
            path: deep.path,
          });
      }
      if (runs('admin-users')) {
        const adminList = await getJson(`${api.base}/api/admin/users?limit=50`, adminToken);
        if (adminList.status !== 200) {
          record({
            scenario: 'admin-users',
            target: 'api',
            missing: `n/a: route missing (GET /api/admin/users answered ${adminList.status})`,
            rss: api.rssMb(),
          });
        } else {
          await measure(api, 'admin-users', undefined, {
            token: adminToken,
            path: '/api/admin/users?limit=50',
          });
        }
      }
      if (runs('login')) await measureLogin(api, record);
    }
    if (PROFILE) {
      for (const profile of profiles)
        profile.summary = summarizeProfile(readFileSync(profile.file, 'utf8'));
    }
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  return report({ rows, soak, profiles, started, load });
}

/** 16 logins at once (argon2id each) while one connection measures /health/live. */
async function measureLogin(api, record) {
  const emails = Array.from({ length: 64 }, (_, i) => dataset.loginEmail(i + 1));
  const body = (email) => JSON.stringify({ email, password: dataset.PASSWORD });
  const duration = Math.max(SETTINGS.duration, 2);
  const [loginResult, health] = await Promise.all([
    drive({
      base: api.base,
      path: '/api/auth/login',
      method: 'POST',
      body: {},
      vary: () => ({ body: body(pick(emails)) }),
      connections: LOGIN_CONNECTIONS,
      duration,
    }),
    drive({ base: api.base, path: '/health/live', connections: 1, duration }),
  ]);
  const rss = api.rssMb();
  record({ scenario: `login (${LOGIN_CONNECTIONS} conc.)`, target: 'api', ...loginResult, rss });
  record({ scenario: 'health/live during login', target: 'api', ...health, rss });
}

/** Five minutes of mixed load; RSS sampled every 10 s, trend fitted over minutes 1-5. */
async function runSoak(api, db, writerToken) {
  await dataset.growTasks(db, 0, SETTINGS.sizes[0]);
  await dataset.createWriterTasks(db, 1000);
  const ids = await dataset.sampleTaskIds(db, dataset.WRITER_USER, 1000);
  const samples = [];
  const timer = setInterval(
    () => samples.push({ s: (Date.now() - start) / 1000, rss: api.rssMb() }),
    10_000,
  );
  const start = Date.now();
  const mix = [
    () => ({ method: 'GET', path: `/api/me/tasks/${pick(ids)}`, body: undefined }),
    () => ({ method: 'GET', path: '/api/me/tasks', body: undefined }),
    () => ({
      method: 'POST',
      path: '/api/me/tasks',
      body: JSON.stringify({ title: 'Soak task', tags: ['soak'] }),
    }),
    () => ({ method: 'PATCH', path: `/api/me/tasks/${pick(ids)}/complete`, body: undefined }),
  ];
  log(`soak: ${SETTINGS.duration} s of get-one/list/create/toggle at ${CONNECTIONS} connections`);
  const result = await drive({
    base: api.base,
    path: '/api/me/tasks',
    token: writerToken,
    vary: () => pick(mix)(),
    duration: SETTINGS.duration,
  });
  clearInterval(timer);
  const late = samples.filter((sample) => sample.s >= 60);
  const slope = fitSlope(late.map((sample) => [sample.s / 60, sample.rss]));
  return {
    ...result,
    samples,
    slopeMbPerMin: slope,
    maxRss: Math.max(...samples.map((sample) => sample.rss)),
  };
}

function fitSlope(points) {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxy / sxx;
}

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    // not a git checkout
  }
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.availableParallelism()} cores (nproc), ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `- node ${process.version}, commit ${commit}`,
  ];
}

const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

function report({ rows, soak, profiles, started, load }) {
  const best = (scenario, target, size) =>
    rows
      .filter(
        (row) =>
          row.scenario === scenario &&
          row.target === target &&
          row.size === size &&
          !row.error &&
          !row.missing,
      )
      .sort((a, b) => b.rps - a.rps)[0];
  const lines = [
    `# Benchmark results (${MODE}${PROFILE ? ', --cpu-prof' : ''})`,
    '',
    ...machine(),
    `- load average before the run: ${load.map((value) => value.toFixed(2)).join(' ')}; after: ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
    `- ${CONNECTIONS} connections over loopback (login: ${LOGIN_CONNECTIONS}), ${SETTINGS.duration} s per measurement after ${SETTINGS.warmup} s warm-up, ${SETTINGS.rounds} round(s) alternating API and baseline (best round shown)`,
    `- sizes: rows in the tasks table; the measured user owns min(size, ${dataset.SCALE_USER_TASKS}) of them`,
    '',
  ];
  const summary = {};
  if (soak) {
    lines.push(
      '| soak | req/s | p50 ms | p99 ms | RSS max MB | RSS trend min 1-5 | errors |',
      '|---|---|---|---|---|---|---|',
      `| get-one/list/create/toggle mix | ${fmt(soak.rps, 0)} | ${fmt(soak.p50, 2)} | ${fmt(soak.p99, 2)} | ${fmt(soak.maxRss, 0)} | ${fmt(soak.slopeMbPerMin, 2)} MB/min | ${soak.error ?? 'none'} |`,
      '',
      `RSS samples (s: MB): ${soak.samples.map((sample) => `${sample.s.toFixed(0)}: ${sample.rss.toFixed(0)}`).join(', ')}`,
    );
  } else {
    lines.push(
      '| scenario | size | server | req/s | p50 ms | p99 ms | RSS MB | API/baseline |',
      '|---|---|---|---|---|---|---|---|',
    );
    const shown = new Set();
    for (const row of rows) {
      const key = `${row.scenario}|${row.size}|${row.target}`;
      if (shown.has(key)) continue;
      shown.add(key);
      const chosen = best(row.scenario, row.target, row.size) ?? row;
      const base = row.target === 'api' ? best(row.scenario, 'baseline', row.size) : undefined;
      const ratio =
        base && !chosen.error && !chosen.missing
          ? `${((100 * chosen.rps) / base.rps).toFixed(0)}%`
          : '';
      const size = row.size ? sizeLabel(row.size) : '';
      if (chosen.missing || chosen.error) {
        lines.push(
          `| ${row.scenario} | ${size} | ${row.target} | ${chosen.missing ?? `ERROR: ${chosen.error}`} | | | ${fmt(chosen.rss, 0)} | |`,
        );
      } else {
        lines.push(
          `| ${row.scenario} | ${size} | ${row.target} | ${fmt(chosen.rps, 0)} | ${fmt(chosen.p50, 2)} | ${fmt(chosen.p99, 2)} | ${fmt(chosen.rss, 0)} | ${ratio} |`,
        );
      }
    }
    const ratio = (scenario) => {
      const values = SETTINGS.sizes.map((size) => {
        const a = best(scenario, 'api', size);
        const b = best(scenario, 'baseline', size);
        return a && b ? (100 * a.rps) / b.rps : NaN;
      });
      return Math.min(...values);
    };
    // The rows the table shows (best round), so the summary matches the table.
    const targetRows = [
      ...SETTINGS.sizes.flatMap((size) => [
        best('get-one', 'api', size),
        best('list-page', 'api', size),
      ]),
      best('create', 'api', undefined),
      best('toggle', 'api', undefined),
    ].filter(Boolean);
    const smallest = best('list-page', 'api', Math.min(...SETTINGS.sizes));
    const largest = best('list-page', 'api', Math.max(...SETTINGS.sizes));
    Object.assign(summary, {
      getOne: ratio('get-one'),
      listPage: ratio('list-page'),
      p99Max: Math.max(...targetRows.map((row) => row.p99)),
      scaling: largest && smallest ? largest.p50 / smallest.p50 : NaN,
    });
    lines.push(
      '',
      `Ratios are the lowest over the sizes; "p99 max" covers get-one, list-page, create and toggle; the list p50 ratio is ${sizeLabel(Math.max(...SETTINGS.sizes))}/${sizeLabel(Math.min(...SETTINGS.sizes))} rows.`,
    );
  }
  for (const profile of profiles) {
    lines.push(
      '',
      `## CPU profile: API, ${profile.name} (${profile.file.replace(ROOT + '/', '')})`,
      '',
      profile.summary,
    );
  }
  lines.push('', `Run took ${((Date.now() - started) / 1000).toFixed(0)} s.`, '');
  // Every route the bench drives exists now: a scenario reported missing is a failure too.
  const failed = rows.filter((row) => row.error || row.missing).length + (soak?.error ? 1 : 0);
  const summaryLine = soak
    ? `bench soak: RSS max ${fmt(soak.maxRss, 0)} MB, trend ${fmt(soak.slopeMbPerMin, 2)} MB/min over minutes 1-5, p99 ${fmt(soak.p99, 1)} ms`
    : `bench: get-one ${fmt(summary.getOne, 0)}% of baseline, list-page ${fmt(summary.listPage, 0)}% of baseline, p99 max ${fmt(summary.p99Max, 0)} ms, 1M/1k list p50 ${fmt(summary.scaling, 1)}x`;
  // A partial run (--only, --sizes) is an experiment: it never replaces the published results.
  const partial = Boolean(ONLY || sizesArg);
  const file = join(
    RESULTS,
    { full: 'latest.md', quick: 'latest.md', smoke: 'smoke.md', soak: 'soak.md' }[MODE].replace(
      'latest',
      PROFILE ? 'profile' : partial ? 'partial' : 'latest',
    ),
  );
  writeFileSync(file, lines.join('\n') + '\n' + summaryLine + '\n');
  if (!PROFILE && !partial && (MODE === 'full' || MODE === 'quick')) updateReadme(lines);
  console.log(lines.join('\n'));
  log(`wrote ${file.replace(ROOT + '/', '')}${failed ? `; ${failed} scenario(s) FAILED` : ''}`);
  console.log(summaryLine);
  return failed === 0;
}

/** The README's Performance section shows the latest table, between these markers. */
function updateReadme(lines) {
  const readme = join(ROOT, 'README.md');
  if (!existsSync(readme)) return;
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (!text.includes(start) || !text.includes(end)) return;
  // The machine facts, then the table: Markdown needs a blank line between a list and a table.
  const facts = lines.filter((line) => line.startsWith('- ')).join('\n');
  const table = lines.filter((line) => line.startsWith('|')).join('\n');
  writeFileSync(
    readme,
    text.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${facts}\n\n${table}\n${end}`),
  );
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
