/**
 * EXPLAIN (ANALYZE) of the statements production sends for every admin route (every sort, order,
 * filter and `q` of the users and tasks lists, first page and page 100, the counts, the stats, a
 * user's tasks, the changes with their locks and audit entries, the stats.fold job) and for one
 * owner's task list (every sort and filter), the trash and the change feed. The statements are the
 * API's own: the real services and repositories run on an executor that explains each statement
 * before running it, inside one transaction per case that is rolled back, so the data stays as it
 * was. Prints, per statement, the scans PostgreSQL chose, the rows they read (every row a scan
 * node returned or filtered out) and the time; last, the admin read that read the most rows,
 * beside the size of the tables: no admin read may read rows in proportion to them.
 *
 *   npm run explain:plans          # a scratch database: 101 users, 110,000 tasks (one user owns 10,000)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run explain:plans   # the same, on that server
 *   EXPLAIN_DATABASE_URL=postgres://.../task_bench_... npm run explain:plans         # a database as it is
 *
 * With EXPLAIN_DATABASE_URL (`npm run bench -- --scale` passes its dataset) nothing is created or
 * filled: the owner is the user with the most tasks, the admin the oldest active admin.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AdminStatsRepository } from '../src/admin/admin-stats.repository';
import { AdminTasksService } from '../src/admin/admin-tasks.service';
import { AdminUsersRepository } from '../src/admin/admin-users.repository';
import { AdminUsersService } from '../src/admin/admin-users.service';
import { AuditLogRepository } from '../src/admin/audit-log.repository';
import { AuditLogService } from '../src/admin/audit-log.service';
import { AdminListTasksQuery, ListUsersQuery, USER_SORTS } from '../src/admin/dto/admin.dto';
import { ChangesRepository } from '../src/changes/changes.repository';
import { CursorCodec, Pager, type Page, type SortOrder } from '../src/common/paging';
import { dataSourceOptions } from '../src/database/data-source-options';
import { startEmbeddedDatabase } from '../src/database/embedded-database';
import { runMigrations } from '../src/database/migrate';
import { Sql, type SqlExecutor } from '../src/database/sql';
import type { JobsService } from '../src/jobs/jobs.service';
import { ListTasksQuery, TASK_SORTS } from '../src/tasks/dto/task.dto';
import { TasksRepository } from '../src/tasks/tasks.repository';
import { TrashRepository } from '../src/tasks/trash.repository';

const USERS = 101;
const OWNER_TASKS = 10_000;
const OTHER_TASKS = 1_000;
/** Page 100 of 50: the cursor the API issues after this many rows. */
const DEEP = 4_950;
const ORDERS: SortOrder[] = ['asc', 'desc'];

async function main() {
  const given = process.env.EXPLAIN_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let drop: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'task-api-explain-'));
  let url = given;
  if (!url) {
    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      const embedded = await startEmbeddedDatabase(dataDir);
      serverUrl = embedded.url;
      stopEmbedded = embedded.stop;
    }
    const name = `task_api_explain_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    drop = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
    url = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  }
  const dataSource = await new DataSource(dataSourceOptions({ url, poolMax: 3 })).initialize();
  try {
    if (!given) await runMigrations(dataSource);
    const sql = new Sql(dataSource);
    const version = await sql.one<{ server_version: string }>('SHOW server_version');
    const trgm = await sql.rows(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`);
    console.log(
      `PostgreSQL ${version!.server_version}; pg_trgm ${trgm.length ? 'installed' : 'NOT installed'}`,
    );
    if (!given) await fill(sql);
    const data = await describeData(sql);
    const report = new Report();
    await explainAdmin(sql, data, report);
    await explainOwner(sql, data, report);
    report.summary(data);
  } finally {
    await dataSource.destroy();
    await drop?.();
    await stopEmbedded?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Users (3 admins, 2 banned, half logged in) and tasks made by generate_series. */
async function fill(sql: Sql): Promise<void> {
  await sql.execute(
    `INSERT INTO users (email, password_hash, name, role, banned, last_login_at)
     SELECT 'user' || g || '@example.com', 'x', 'User ' || g,
            CASE WHEN g <= 3 THEN 'admin' ELSE 'user' END, g IN (50, 60),
            CASE WHEN g % 2 = 0 THEN now() - g * interval '1 hour' END
       FROM generate_series(1, ${USERS}) g`,
  );
  const owner = await sql.one<{ id: string }>(
    `SELECT id FROM users WHERE email = 'user10@example.com'`,
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
           CASE WHEN g % 10 < 7 THEN now() + ((g % 400 - 100) || ' hours')::interval END,
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
  await sql.execute('VACUUM ANALYZE task_rows');
  await sql.execute('VACUUM ANALYZE users');
}

/** Who and what the cases act on, found in the data (the bench's dataset or the one filled here). */
interface Data {
  tasks: number;
  users: number;
  owner: { id: string; tasks: number; listId: string; parentId: string; taskId: string };
  adminId: string;
  /** The user with the fewest tasks (but some): the one an admin deletes. */
  smallUserId: string;
  email: { rare: string; common: string };
  text: { common: string; rare: string; absent: string };
  tag: string;
}

async function describeData(sql: Sql): Promise<Data> {
  const one = async <T>(text: string, values: unknown[] = []) => (await sql.one<T>(text, values))!;
  const { tasks, users } = await one<{ tasks: number; users: number }>(
    `SELECT (SELECT sum(tasks)::int FROM task_stats) AS tasks,
            (SELECT sum(users)::int FROM user_stats) AS users`,
  );
  const owner = await one<{ id: string; tasks: number; email: string }>(
    `SELECT c.user_id AS id, c.tasks, u.email FROM user_task_counts c JOIN users u ON u.id = c.user_id
      ORDER BY c.tasks DESC LIMIT 1`,
  );
  const { listId } = await one<{ listId: string }>(
    `SELECT id AS "listId" FROM lists WHERE user_id = $1 AND is_default`,
    [owner.id],
  );
  const task = await one<{ id: string; title: string }>(
    `SELECT id, title FROM tasks WHERE user_id = $1 AND parent_id IS NULL ORDER BY id LIMIT 1`,
    [owner.id],
  );
  const { adminId } = await one<{ adminId: string }>(
    `SELECT id AS "adminId" FROM users WHERE role = 'admin' AND NOT banned ORDER BY created_at, id LIMIT 1`,
  );
  const { smallUserId } = await one<{ smallUserId: string }>(
    `SELECT c.user_id AS "smallUserId" FROM user_task_counts c JOIN users u ON u.id = c.user_id
      WHERE c.tasks > 0 AND u.role = 'user' ORDER BY c.tasks, c.user_id LIMIT 1`,
  );
  // The commonest word of a sample of descriptions; the end of a title (rare).
  const { word } = await one<{ word: string }>(
    `SELECT w AS word FROM (SELECT description FROM tasks WHERE description IS NOT NULL LIMIT 1000) s,
            regexp_split_to_table(lower(description), '[^a-z]+') w
      WHERE length(w) >= 5 GROUP BY w ORDER BY count(*) DESC, w LIMIT 1`,
  );
  const { tag } = await one<{ tag: string }>(
    `SELECT tag FROM (SELECT tags FROM tasks LIMIT 1000) s, unnest(tags) tag
      GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 1`,
  );
  const domain = owner.email.split('@')[1];
  return {
    tasks,
    users,
    owner: { id: owner.id, tasks: owner.tasks, listId, parentId: task.id, taskId: task.id },
    adminId,
    smallUserId,
    email: { rare: owner.email.split('@')[0], common: domain },
    text: { common: word, rare: task.title.slice(-6), absent: `${word} ${word} ${word}` },
    tag,
  };
}

interface Plan {
  statement: string;
  /** The scan nodes, with their index. */
  scans: string;
  /** Rows the scan nodes returned or filtered out, over all their loops. */
  rowsRead: number;
  ms: number;
}

/** The printed table, and the admin read that read the most. */
class Report {
  private heaviest: { label: string; plan: Plan } | undefined;

  section(title: string) {
    console.log(`\n## ${title}\n\ncase | statement | scans | rows read | ms\n---|---|---|---|---`);
  }

  add(label: string, plans: Plan[], { admin = false } = {}) {
    for (const plan of plans) {
      console.log(`${label} | ${plan.statement} | ${plan.scans} | ${plan.rowsRead} | ${plan.ms}`);
      const read = plan.statement.startsWith('SELECT') && !plan.statement.includes('FOR UPDATE');
      if (admin && read && plan.rowsRead > (this.heaviest?.plan.rowsRead ?? -1))
        this.heaviest = { label, plan };
    }
  }

  summary(data: Data) {
    const most = this.heaviest;
    console.log(
      `\nTables: ${data.tasks} live tasks, ${data.users} users; the owner above has ${data.owner.tasks} tasks.` +
        (most
          ? `\nThe admin read that read the most rows: ${most.label} (${most.plan.statement}): ${most.plan.rowsRead} rows, ${most.plan.ms} ms.`
          : ''),
    );
  }
}

/**
 * Runs `call` on an Sql whose every statement is explained before it runs, inside one transaction
 * rolled back at the end (a transaction the code opens is a savepoint in it): the statements and
 * their results are production's, and the data stays as it was.
 */
async function explainCall(
  sql: Sql,
  call: (sql: Sql) => Promise<unknown>,
): Promise<{ plans: Plan[]; error?: string }> {
  const client = await sql.pool.connect();
  const explaining = new ExplainingSql(client);
  await client.query('BEGIN');
  try {
    await call(explaining as unknown as Sql);
    return { plans: explaining.plans };
  } catch (error) {
    // A problem the route answers (a 404, a 409) is an outcome like any other.
    return { plans: explaining.plans, error: (error as Error).message };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

class ExplainingSql implements SqlExecutor {
  readonly plans: Plan[] = [];
  private savepoints = 0;

  constructor(private readonly client: PoolClient) {}

  async rows<T>(text: string, parameters?: unknown[]): Promise<T[]> {
    this.plans.push(await this.explain(text, parameters));
    return (await this.client.query(text, parameters)).rows as T[];
  }

  async one<T>(text: string, parameters?: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(text, parameters))[0];
  }

  async execute(text: string, parameters?: unknown[]): Promise<number> {
    this.plans.push(await this.explain(text, parameters));
    return (await this.client.query(text, parameters)).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const savepoint = `explain_tx_${++this.savepoints}`;
    await this.client.query(`SAVEPOINT ${savepoint}`);
    try {
      const result = await work(this);
      await this.client.query(`RELEASE SAVEPOINT ${savepoint}`);
      return result;
    } catch (error) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      throw error;
    }
  }

  /** A write is analyzed in a savepoint rolled back at once: it then runs once, for real. */
  private async explain(text: string, parameters?: unknown[]): Promise<Plan> {
    const writes = /\b(INSERT|UPDATE|DELETE)\b/i.test(text.replace(/FOR (NO KEY )?UPDATE/gi, ''));
    if (writes) await this.client.query('SAVEPOINT explain_write');
    try {
      const { rows } = await this.client.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        parameters,
      );
      return planOf(text, rows[0]['QUERY PLAN'][0]);
    } finally {
      if (writes) await this.client.query('ROLLBACK TO SAVEPOINT explain_write');
    }
  }
}

function planOf(text: string, plan: Record<string, any>): Plan {
  const scans: string[] = [];
  let rowsRead = 0;
  const walk = (node: Record<string, any>) => {
    if (/Scan/.test(node['Node Type'])) {
      scans.push(
        node['Index Name'] ? `${node['Node Type']} ${node['Index Name']}` : node['Node Type'],
      );
      rowsRead +=
        (node['Actual Rows'] +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        node['Actual Loops'];
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  const triggers = (plan.Triggers ?? []) as { 'Trigger Name': string; Time: number }[];
  const withTriggers = triggers.length
    ? `; triggers ${triggers.map((t) => `${t['Trigger Name']} ${t.Time.toFixed(2)} ms`).join(', ')}`
    : '';
  return {
    // The report is a Markdown table: a `||` in the SQL would end a cell.
    statement: text.replace(/\s+/g, ' ').trim().slice(0, 90).replace(/\|/g, '\\|'),
    scans: (scans.join(' + ') || '(no scan)') + withTriggers,
    rowsRead,
    ms: Number(plan['Execution Time'].toFixed(2)),
  };
}

/** The admin services as production builds them, on `sql`. */
function adminServices(sql: Sql, pager: Pager) {
  const audit = new AuditLogService(new AuditLogRepository(sql, pager));
  const tasks = new TasksRepository(sql, pager);
  return {
    users: new AdminUsersService(sql, new AdminUsersRepository(sql, pager), audit),
    tasks: new AdminTasksService(
      tasks,
      new AdminStatsRepository(sql),
      audit,
      sql,
      undefined as unknown as JobsService,
    ),
    stats: new AdminStatsRepository(sql),
    audit,
  };
}

const usersQuery = (fields: Partial<ListUsersQuery>) =>
  Object.assign(new ListUsersQuery(), fields) as ListUsersQuery;
const tasksQuery = (fields: Partial<AdminListTasksQuery>) =>
  Object.assign(new AdminListTasksQuery(), fields) as AdminListTasksQuery;

/** The cursor of page 100 (after DEEP rows) of a list, read without explaining. */
async function deepCursor(list: (limit: number) => Promise<Page<unknown>>): Promise<string | null> {
  return (await list(DEEP)).nextCursor;
}

async function explainAdmin(sql: Sql, data: Data, report: Report) {
  const pager = new Pager(new CursorCodec(randomBytes(32).toString('hex')), 10_000);
  const plain = adminServices(sql, pager);
  const run = async (label: string, call: (s: ReturnType<typeof adminServices>) => unknown) => {
    const { plans, error } = await explainCall(sql, (explaining) =>
      Promise.resolve(call(adminServices(explaining, pager))),
    );
    report.add(error ? `${label} (${error})` : label, plans, { admin: true });
  };

  report.section('GET /api/admin/users');
  for (const sort of USER_SORTS) {
    for (const order of ORDERS) {
      const query = usersQuery({ sort, order });
      await run(`sort=${sort}&order=${order}`, (s) => s.users.list(query));
      const cursor = await deepCursor((limit) => plain.users.list({ ...query, limit }));
      if (cursor)
        await run(`sort=${sort}&order=${order} (page 100)`, (s) =>
          s.users.list({ ...query, cursor }),
        );
    }
  }
  const userFilters: [string, Partial<ListUsersQuery>][] = [
    [`q=${data.email.common} (every user)`, { q: data.email.common }],
    [`q=${data.email.rare} (one user)`, { q: data.email.rare }],
    ['q=no such person (none)', { q: 'no such person' }],
    ['role=admin', { role: 'admin' }],
    ['role=user', { role: 'user' }],
    ['status=banned', { status: 'banned' }],
    ['status=active', { status: 'active' }],
    ['role=admin&sort=last_login', { role: 'admin', sort: 'last_login' }],
    [
      `q=${data.email.rare}&sort=email&order=asc`,
      { q: data.email.rare, sort: 'email', order: 'asc' },
    ],
  ];
  for (const [label, fields] of userFilters)
    await run(label, (s) => s.users.list(usersQuery(fields)));

  report.section('One user, and the changes (each rolled back)');
  const target = data.owner.id;
  await run('GET /api/admin/users/{id}', (s) => s.users.get(target));
  await run('PATCH /api/admin/users/{id}/role', (s) =>
    s.users.changeRole(data.adminId, target, 'admin'),
  );
  await run('POST .../ban, then .../unban', async (s) => {
    await s.users.ban(data.adminId, target, 'explain');
    await s.users.unban(data.adminId, target);
  });
  await run('DELETE /api/admin/users/{id} (the user with the fewest tasks)', (s) =>
    s.users.remove(data.adminId, data.smallUserId),
  );
  await run('GET /api/admin/users/{id}/tasks', (s) => s.tasks.listOfUser(target, tasksQuery({})));
  await run('DELETE /api/admin/users/{id}/tasks/{task_id}', (s) =>
    s.tasks.removeOfUser(data.adminId, target, data.owner.taskId),
  );

  report.section('GET /api/admin/tasks');
  for (const sort of TASK_SORTS) {
    for (const order of ORDERS) {
      const query = tasksQuery({ sort, order });
      await run(`sort=${sort}&order=${order}`, (s) => s.tasks.list(query));
      const cursor = await deepCursor((limit) => plain.tasks.list({ ...query, limit }));
      if (cursor)
        await run(`sort=${sort}&order=${order} (page 100)`, (s) =>
          s.tasks.list({ ...query, cursor }),
        );
    }
  }
  const day = 86_400_000;
  const taskFilters: [string, Partial<AdminListTasksQuery>][] = [
    ['status=pending', { status: 'pending' }],
    ['status=completed', { status: 'completed' }],
    ['priority=high', { priority: 'high' }],
    ['status=pending&priority=high', { status: 'pending', priority: 'high' }],
    [`tag=${data.tag}`, { tag: data.tag }],
    ['tag=no-such-tag', { tag: 'no-such-tag' }],
    ['due_before=+2 days', { due_before: new Date(Date.now() + 2 * day) }],
    ['due_before=2000-01-01 (none)', { due_before: new Date('2000-01-01') }],
    ['due_after=+10 days', { due_after: new Date(Date.now() + 10 * day) }],
    ['list_id (the owner’s default list)', { list_id: data.owner.listId }],
    ['parent_id=none', { parent_id: 'none' }],
    ['parent_id=<a task>', { parent_id: data.owner.parentId }],
    ['user_id (the owner)', { user_id: target }],
    ['user_id&sort=due_date&order=asc', { user_id: target, sort: 'due_date', order: 'asc' }],
    [`q=${data.text.common} (common)`, { q: data.text.common }],
    [`q=${data.text.rare} (rare)`, { q: data.text.rare }],
    [`q=${data.text.absent} (common words, no match)`, { q: data.text.absent }],
    [
      'status=pending&priority=high&sort=due_date&order=asc',
      { status: 'pending', priority: 'high', sort: 'due_date', order: 'asc' },
    ],
  ];
  for (const [label, fields] of taskFilters)
    await run(label, (s) => s.tasks.list(tasksQuery(fields)));

  report.section('GET /api/admin/stats, GET /api/admin/audit-log, the stats.fold job');
  await run('GET /api/admin/stats', (s) => s.tasks.stats());
  await run('GET /api/admin/audit-log', (s) => s.audit.list({ limit: 50 }));
  await run('stats.fold (rolled back)', (s) => s.stats.foldPastHours());
}

async function explainOwner(sql: Sql, data: Data, report: Report) {
  const pager = new Pager(new CursorCodec(randomBytes(32).toString('hex')), 10_000);
  const ownerId = data.owner.id;
  const list = `/api/${ownerId}/tasks`;
  const page = (on: Sql, query: Partial<ListTasksQuery>) =>
    new TasksRepository(on, pager).page(
      list,
      ownerId,
      Object.assign(new ListTasksQuery(), query) as ListTasksQuery,
    );
  const run = async (label: string, call: (on: Sql) => Promise<unknown>) =>
    report.add(label, (await explainCall(sql, call)).plans);

  report.section(`The owner's task list (${data.owner.tasks} tasks)`);
  for (const sort of TASK_SORTS) {
    for (const order of ORDERS) {
      await run(`sort=${sort}&order=${order}`, (on) => page(on, { sort, order }));
      const cursor = (await page(sql, { sort, order, limit: DEEP })).nextCursor;
      if (cursor)
        await run(`sort=${sort}&order=${order} (page 100)`, (on) =>
          page(on, { sort, order, cursor }),
        );
    }
  }
  const day = 86_400_000;
  const filters: [string, Partial<ListTasksQuery>][] = [
    ['status=pending', { status: 'pending' }],
    ['status=completed', { status: 'completed' }],
    ['status=pending&sort=title', { status: 'pending', sort: 'title' }],
    [`q=${data.text.common}`, { q: data.text.common }],
    [`q=${data.text.rare} (rare)`, { q: data.text.rare }],
    [`q=${data.text.absent}`, { q: data.text.absent }],
    ['priority=high', { priority: 'high' }],
    [`tag=${data.tag}`, { tag: data.tag }],
    ['due_before=+2 days', { due_before: new Date(Date.now() + 2 * day) }],
    ['due_after=+10 days', { due_after: new Date(Date.now() + 10 * day) }],
    [
      'status=pending&priority=high&due_before=+7d&sort=due_date&order=asc',
      {
        status: 'pending',
        priority: 'high',
        due_before: new Date(Date.now() + 7 * day),
        sort: 'due_date',
        order: 'asc',
      },
    ],
  ];
  for (const [label, query] of filters) await run(label, (on) => page(on, query));

  // The trash's first page, and the change feed's delta reads: none may scan the live tasks.
  await run('trash', (on) => new TrashRepository(on, pager).page(ownerId, { limit: 50 }));
  const { seq } = await new ChangesRepository(sql).counter(sql, ownerId);
  for (const [label, since] of [
    ['changes: nothing new', seq],
    ['changes: the last 500', Math.max(0, seq - 500)],
  ] as const) {
    await run(label, (on) => new ChangesRepository(on).latestSince(on, ownerId, since, 501));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
