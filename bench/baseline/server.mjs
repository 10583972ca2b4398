// The practical limit: a bare node:http + pg server doing exactly what the API does for
// GET one task, the first page of the list, a create (a top-level task in the default list) and
// a toggle (same JWT checks, same SQL, same JSON), and nothing else. The benchmark divides the
// API's req/s by this server's. The writes' change-log rows come from the database's trigger
// (migration 1764200000000), so sending the API's statements writes them too.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { generateKeyBetween } from 'fractional-indexing';
import pg from 'pg';

const secret = process.env.JWT_SECRET;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISSUER = 'task-api';
const LIMIT = 50;
// The paging cursor of src/common/paging/cursor.ts: base64url(JSON keys) + "." + a 16-byte HMAC.
const cursorKey = createHmac('sha256', secret).update('task-api paging cursor v1').digest();
function encodeCursor(scope, values) {
  const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
  const mac = createHmac('sha256', cursorKey).update(`${scope}\n${payload}`).digest();
  return `${payload}.${mac.subarray(0, 16).toString('base64url')}`;
}

// TasksRepository.findOne: fixed SQL, no TypeORM (src/tasks/tasks.repository.ts GET_ONE_SQL).
const TASK_COLUMNS = [
  'id',
  'user_id',
  'list_id',
  'parent_id',
  'position',
  'title',
  'description',
  'completed',
  'completed_at',
  'priority',
  'due_date',
  'tags',
  'recurrence',
  'recurrence_start',
  'timezone',
  'version',
  'created_at',
  'updated_at',
];
const GET_ONE = `SELECT ${TASK_COLUMNS.join(', ')} FROM tasks WHERE id = $1 AND user_id = $2`;
// The task lists' SQL pager (fetchSqlPage in src/common/paging/keyset.ts): the exact count, then
// limit + 1 rows with the sort keys as text, for the owner's unfiltered first page.
const TASK_LIST_SELECT = TASK_COLUMNS.map((column) => `task.${column}`).join(', ');
const LIST_PAGE = `SELECT ${TASK_LIST_SELECT}, (task.created_at)::text AS page_key_0, (task.id)::text AS page_key_1 FROM tasks task WHERE (task.user_id = $1) ORDER BY task.created_at DESC, task.id DESC LIMIT 51`;
const LIST_COUNT = `SELECT count(*)::int AS total FROM tasks task WHERE (task.user_id = $1)`;
// Create (TasksService.create without list_id or parent_id: TasksRepository.defaultListId,
// lockLists, neighbourPosition from the end, insert), in one transaction.
const DEFAULT_LIST = `SELECT id FROM lists WHERE user_id = $1 AND is_default`;
const LOCK_LISTS = `SELECT id FROM lists WHERE user_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE`;
const LAST_SIBLING = `SELECT position FROM tasks
        WHERE list_id = $1 AND ($2::uuid IS NULL AND parent_id IS NULL OR parent_id = $2::uuid) AND id IS DISTINCT FROM $3 AND ($4::text IS NULL OR position < $4)
        ORDER BY list_id DESC, parent_id DESC, position DESC LIMIT 1`;
const INSERT_TASK = `INSERT INTO tasks (user_id, title, description, completed, completed_at, priority, due_date,
                          tags, list_id, parent_id, position, recurrence, recurrence_start, timezone)
       VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN now() END, $5, $6, $7, $8, $9, $10, $11::varchar,
               CASE WHEN $11::varchar IS NOT NULL THEN $6::timestamptz END, $12)
       RETURNING ${TASK_COLUMNS.join(', ')}`;
// Toggle (TasksRepository.toggleCompleted): one conditional UPDATE, outside a transaction.
const TOGGLE = `UPDATE tasks SET completed = NOT completed, completed_at = CASE WHEN completed THEN NULL ELSE now() END, version = version + 1, updated_at = now()
        WHERE id = $1 AND user_id = $2 AND (recurrence IS NULL OR completed)
        RETURNING ${TASK_COLUMNS.join(', ')}`;
const TOKEN_HOLDER = `SELECT u.id, u.role FROM users u
         JOIN sessions s ON s.id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL
        WHERE u.id = $1 AND NOT u.banned AND u.token_version = $3`;

const base64urlJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** HS256 only, typ at+jwt, signature, issuer, audience, expiry, then the claims' shapes. */
function verifyAccessToken(authorization) {
  const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '');
  if (!match) return null;
  const [, headerPart, payloadPart, signaturePart] = match;
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = base64urlJson(headerPart);
    const claims = base64urlJson(payloadPart);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const ok =
      header.alg === 'HS256' &&
      header.typ === 'at+jwt' &&
      claims.iss === ISSUER &&
      audiences.includes(ISSUER) &&
      typeof claims.exp === 'number' &&
      Date.now() / 1000 < claims.exp &&
      !(typeof claims.nbf === 'number' && Date.now() / 1000 < claims.nbf) &&
      UUID.test(claims.sub) &&
      UUID.test(claims.sid) &&
      Number.isSafeInteger(claims.ver);
    return ok ? claims : null;
  } catch {
    return null;
  }
}

const iso = (date) => (date ? date.toISOString() : null);
const toTask = (row) => ({
  id: row.id,
  user_id: row.user_id,
  list_id: row.list_id,
  parent_id: row.parent_id,
  position: row.position,
  title: row.title,
  description: row.description,
  completed: row.completed,
  completed_at: iso(row.completed_at),
  priority: row.priority,
  due_date: iso(row.due_date),
  tags: row.tags,
  recurrence: row.recurrence,
  timezone: row.timezone,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

function send(res, status, body, headers = {}) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'x-request-id': randomUUID(),
    'content-type':
      status < 400 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

const problem = (res, status, code) => send(res, status, { status, code });

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const route = /^\/api\/([^/]+)\/tasks(?:\/([^/]+)(\/complete)?)?$/.exec(url.pathname);
  if (req.method === 'GET' && url.pathname === '/health/live')
    return send(res, 200, { status: 'ok' });
  const [, owner, id, complete] = route ?? [];
  const action =
    route &&
    (req.method === 'GET' && !complete
      ? id === undefined
        ? 'list'
        : 'get'
      : req.method === 'POST' && id === undefined
        ? 'create'
        : req.method === 'PATCH' && complete
          ? 'toggle'
          : undefined);
  if (!action) return problem(res, 404, 'NOT_FOUND');
  // The body first, as Fastify reads it before the guards run.
  const body = action === 'create' ? await readJson(req) : undefined;
  const claims = verifyAccessToken(req.headers.authorization);
  if (!claims) return problem(res, 401, 'UNAUTHENTICATED');
  const holder = await pool.query(TOKEN_HOLDER, [claims.sub, claims.sid, claims.ver]);
  if (holder.rowCount === 0) return problem(res, 401, 'UNAUTHENTICATED');
  const userId = holder.rows[0].id;
  if (owner !== 'me' && owner !== userId) return problem(res, 403, 'FORBIDDEN');
  if (id !== undefined && !UUID.test(id)) return problem(res, 400, 'VALIDATION_FAILED');
  if (action === 'get') {
    const { rows } = await pool.query(GET_ONE, [id, userId]);
    if (rows.length === 0) return problem(res, 404, 'TASK_NOT_FOUND');
    return send(res, 200, toTask(rows[0]), { etag: `"${rows[0].version}"` });
  }
  if (action === 'toggle') {
    const { rows } = await pool.query(TOGGLE, [id, userId]);
    // The API then tells a pending recurring task (an occurrence) from a missing one: not benched.
    if (rows.length === 0) return problem(res, 404, 'TASK_NOT_FOUND');
    return send(res, 200, toTask(rows[0]), { etag: `"${rows[0].version}"` });
  }
  if (action === 'create') {
    const task = newTask(body);
    if (!task) return problem(res, 400, 'VALIDATION_FAILED');
    const row = await create(userId, task);
    return send(res, 201, toTask(row), {
      location: `/api/${userId}/tasks/${row.id}`,
      etag: `"${row.version}"`,
    });
  }
  // Like fetchPage: the exact count, then the page.
  const { total } = (await pool.query(LIST_COUNT, [userId])).rows[0];
  const { rows } = await pool.query(LIST_PAGE, [userId]);
  const headers = { 'x-total-count': String(total) };
  if (rows.length > LIMIT) {
    const last = rows[LIMIT - 1];
    const cursor = encodeCursor(`/api/${userId}/tasks|tasks:created:desc`, [
      last.page_key_0,
      last.page_key_1,
    ]);
    const params = new URLSearchParams(url.search);
    params.set('cursor', cursor);
    headers.link = `<${url.pathname}?${params.toString()}>; rel="next"`;
  }
  return send(res, 200, rows.slice(0, LIMIT).map(toTask), headers);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

const PRIORITIES = ['low', 'medium', 'high'];
const isText = (value, max) => typeof value === 'string' && [...value].length <= max;

/**
 * The create body the bench sends, with the API's defaults and its normalizing (trimmed title,
 * trimmed lower-cased distinct tags); null for anything else. A list, parent, due date or rule is
 * not what the bench creates: those take other statements in the API, so they are refused here.
 */
function newTask(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { title, description = null, completed = false, priority = 'medium', tags = [] } = body;
  const other = Object.keys(body).filter(
    (key) => !['title', 'description', 'completed', 'priority', 'tags'].includes(key),
  );
  const trimmed = typeof title === 'string' ? title.trim() : '';
  const ok =
    other.length === 0 &&
    trimmed.length > 0 &&
    isText(trimmed, 200) &&
    (description === null || isText(description, 1000)) &&
    typeof completed === 'boolean' &&
    PRIORITIES.includes(priority) &&
    Array.isArray(tags) &&
    tags.length <= 20 &&
    tags.every((tag) => typeof tag === 'string' && tag.trim().length > 0 && isText(tag.trim(), 50));
  if (!ok) return null;
  const normalizedTags = [...new Set(tags.map((tag) => tag.trim().toLowerCase()))];
  return { title: trimmed, description, completed, priority, tags: normalizedTags };
}

/** Last in the owner's default list, under the list's lock: the API's create transaction. */
async function create(userId, task) {
  const client = await pool.connect();
  let broken;
  try {
    await client.query('BEGIN');
    const listId = (await client.query(DEFAULT_LIST, [userId])).rows[0].id;
    await client.query(LOCK_LISTS, [userId, [listId]]);
    const last = (await client.query(LAST_SIBLING, [listId, null, null, null])).rows[0];
    const position = generateKeyBetween(last?.position ?? null, null);
    const { rows } = await client.query(INSERT_TASK, [
      userId,
      task.title,
      task.description,
      task.completed,
      task.priority,
      null,
      task.tags,
      listId,
      null,
      position,
      null,
      'UTC',
    ]);
    await client.query('COMMIT');
    return rows[0];
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    problem(res, 500, 'INTERNAL');
  });
}).listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => console.log('baseline listening'));
