/**
 * EXPLAIN (ANALYZE) of one user's task list, for every sort (both orders, first page and a deep
 * page through a cursor) and every filter, on a database of 110,000 tasks where one user owns
 * 10,000. Prints, per case, the scans PostgreSQL chose. The statements are the ones production
 * sends: the list is read by the API's own TasksRepository.page, on an executor that explains each
 * statement before running it. Runs on the server DATABASE_URL names
 * (in a scratch database it drops afterwards), or on a fresh embedded server when it is unset.
 *
 *   npm run explain:plans                                          # embedded PostgreSQL
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run explain:plans
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CursorCodec, type SortOrder } from '../src/common/paging';
import { dataSourceOptions } from '../src/database/data-source-options';
import { startEmbeddedDatabase } from '../src/database/embedded-database';
import { runMigrations } from '../src/database/migrate';
import { Sql, type SqlExecutor } from '../src/database/sql';
import type { ListTasksQuery, TaskSort } from '../src/tasks/dto/task.dto';
import { TASK_SORT_SPECS, TasksRepository } from '../src/tasks/tasks.repository';
import { TrashRepository } from '../src/tasks/trash.repository';
import { ChangesRepository } from '../src/changes/changes.repository';

const USERS = 101;
const OWNER_TASKS = 10_000;
const OTHER_TASKS = 1_000;

async function main() {
  let serverUrl = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'task-api-explain-'));
  if (!serverUrl) {
    const embedded = await startEmbeddedDatabase(dataDir);
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `task_api_explain_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataSource = await new DataSource(
    dataSourceOptions({ url: url.toString(), poolMax: 2 }),
  ).initialize();
  try {
    await runMigrations(dataSource);
    const sql = new Sql(dataSource);
    const version = await sql.one<{ server_version: string }>('SHOW server_version');
    const trgm = await sql.rows(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`);
    console.log(
      `PostgreSQL ${version!.server_version}; pg_trgm ${trgm.length ? 'installed' : 'NOT installed'}`,
    );
    const ownerId = await fill(sql);
    await explainAll(sql, ownerId);
  } finally {
    await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await stopEmbedded?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Users and tasks made by generate_series; returns the id of the user owning 10,000 tasks. */
async function fill(sql: Sql): Promise<string> {
  await sql.execute(
    `INSERT INTO users (email, password_hash)
     SELECT 'user' || g || '@example.com', 'x' FROM generate_series(1, ${USERS}) g`,
  );
  const owner = await sql.one<{ id: string }>(
    `SELECT id FROM users WHERE email = 'user1@example.com'`,
  );
  const words = `ARRAY['report','invoice','meeting','groceries','deploy','review','dentist','budget']`;
  const tags = `ARRAY['work','home','q4','errand','urgent','later']`;
  await sql.execute(
    `
    INSERT INTO tasks (user_id, list_id, position, title, description, completed, completed_at, priority, due_date, tags, created_at, updated_at)
    SELECT u.id, l.id, 'a' || lpad(g::text, 8, '0'),
           initcap((${words})[1 + (g * 7) % 8]) || ' ' || g,
           CASE WHEN g % 3 = 0 THEN 'notes about ' || (${words})[1 + (g * 5) % 8] || ' number ' || g END,
           g % 4 = 0,
           CASE WHEN g % 4 = 0 THEN now() - (g || ' minutes')::interval END,
           (ARRAY['low','medium','high'])[1 + g % 3],
           CASE WHEN g % 10 < 7 THEN now() + ((g % 400) || ' hours')::interval END,
           ARRAY[(${tags})[1 + g % 6]] || CASE WHEN g % 5 = 0 THEN ARRAY['urgent'] ELSE '{}'::text[] END,
           now() - (g || ' seconds')::interval,
           now() - ((g * 13 % 100000) || ' seconds')::interval
      FROM users u JOIN lists l ON l.user_id = u.id AND l.is_default
      CROSS JOIN LATERAL generate_series(1, CASE WHEN u.id = $1 THEN ${OWNER_TASKS} ELSE ${OTHER_TASKS} END) g`,
    [owner!.id],
  );
  // A tenth of everyone's tasks in the trash: the live queries must not read them.
  await sql.execute(
    `UPDATE task_rows SET deleted_at = now() - (random() * interval '20 days'), trashed_with = id
      WHERE right(title, 1) = '7'`,
  );
  await sql.execute('ANALYZE');
  const tasks = await sql.one<{ count: number }>('SELECT count(*)::int AS count FROM tasks');
  console.log(
    `${tasks!.count} live tasks (and a tenth as many in the trash), ${OWNER_TASKS - OWNER_TASKS / 10} of them owned by the user listed below\n`,
  );
  return owner!.id;
}

interface Case {
  label: string;
  query: Partial<ListTasksQuery>;
  deep?: boolean;
}

async function explainAll(sql: Sql, ownerId: string) {
  const cases: Case[] = [];
  for (const sort of Object.keys(TASK_SORT_SPECS) as TaskSort[]) {
    for (const order of ['asc', 'desc'] as SortOrder[]) {
      cases.push({ label: `sort=${sort}&order=${order}`, query: { sort, order } });
      cases.push({
        label: `sort=${sort}&order=${order} (page 100)`,
        query: { sort, order },
        deep: true,
      });
    }
  }
  const filters: [string, Partial<ListTasksQuery>][] = [
    ['status=pending', { status: 'pending' }],
    ['status=completed', { status: 'completed' }],
    ['q=invoice', { q: 'invoice' }],
    ['q=number 12', { q: 'number 12' }],
    ['q=9999 (rare)', { q: '9999' }],
    ['q=voice 99 (rare, title only)', { q: 'voice 99' }],
    ['priority=high', { priority: 'high' }],
    ['tag=urgent', { tag: 'urgent' }],
    ['tag=q4', { tag: 'q4' }],
    ['due_before=+2 days', { due_before: new Date(Date.now() + 2 * 86_400_000) }],
    ['due_after=+10 days', { due_after: new Date(Date.now() + 10 * 86_400_000) }],
    [
      'status=pending&priority=high&tag=work&due_before=+7d&sort=due_date&order=asc',
      {
        status: 'pending',
        priority: 'high',
        tag: 'work',
        due_before: new Date(Date.now() + 7 * 86_400_000),
        sort: 'due_date',
        order: 'asc',
      },
    ],
  ];
  for (const [label, query] of filters) cases.push({ label, query });

  // The owner's list exactly as TasksService reads it: its scope, then the query's filters.
  const codec = new CursorCodec(randomBytes(32).toString('hex'));
  const list = `/api/${ownerId}/tasks`;
  console.log('case | page query: scans (ms) | X-Total-Count query: scans (ms)');
  for (const { label, query, deep } of cases) {
    const full = {
      status: 'all',
      sort: 'created',
      order: 'desc',
      limit: 50,
      ...query,
    } as ListTasksQuery;
    if (deep) {
      // Page 100: the cursor the API issues after row 4,950.
      const skipped = await new TasksRepository(sql, codec).page(list, ownerId, {
        ...full,
        limit: 4_950,
      });
      full.cursor = skipped.nextCursor!;
    }
    const explaining = new Explaining(sql);
    // The repository as production builds it, on an executor that explains each statement.
    await new TasksRepository(explaining as unknown as Sql, codec).page(list, ownerId, full);
    const [count, page] = explaining.plans;
    console.log(
      `${label} | ${page.scans} (${page.ms} ms) | ${deep ? '-' : `${count.scans} (${count.ms} ms)`}`,
    );
  }

  // The trash's first page, and the change feed's delta reads: none may scan the live tasks.
  const trash = new Explaining(sql);
  await new TrashRepository(trash as unknown as Sql, codec).page(ownerId, { limit: 50 });
  console.log(
    `trash | ${trash.plans[1].scans} (${trash.plans[1].ms} ms) | ${trash.plans[0].scans}`,
  );
  const { seq } = await new ChangesRepository(sql).counter(sql, ownerId);
  for (const [label, since] of [
    ['changes: nothing new', seq],
    ['changes: the last 500', seq - 500],
  ] as const) {
    const feed = new Explaining(sql);
    await new ChangesRepository(feed as unknown as Sql).latestSince(feed, ownerId, since, 501);
    console.log(`${label} | ${feed.plans[0].scans} (${feed.plans[0].ms} ms) | -`);
  }
}

interface Plan {
  /** The scan nodes of the plan, with their index. */
  scans: string;
  /** Execution time. */
  ms: number;
}

/** Runs each statement after recording its plan, so the pager goes on as in production. */
class Explaining implements SqlExecutor {
  readonly plans: Plan[] = [];

  constructor(private readonly sql: Sql) {}

  async rows<T>(text: string, parameters?: unknown[]): Promise<T[]> {
    this.plans.push(await explain(this.sql, text, parameters));
    return this.sql.rows<T>(text, parameters);
  }

  async one<T>(text: string, parameters?: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(text, parameters))[0];
  }

  async execute(text: string, parameters?: unknown[]): Promise<number> {
    this.plans.push(await explain(this.sql, text, parameters));
    return this.sql.execute(text, parameters);
  }
}

async function explain(sql: Sql, text: string, parameters?: unknown[]): Promise<Plan> {
  const [{ 'QUERY PLAN': plan }] = await sql.rows<{ 'QUERY PLAN': Record<string, any>[] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
    parameters,
  );
  const scans: string[] = [];
  const walk = (node: Record<string, any>) => {
    if (/Scan/.test(node['Node Type'])) {
      scans.push(
        node['Index Name'] ? `${node['Node Type']} ${node['Index Name']}` : node['Node Type'],
      );
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan[0].Plan);
  return { scans: scans.join(' + '), ms: Number(plan[0]['Execution Time'].toFixed(2)) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
