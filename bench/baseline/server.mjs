// The practical limit: a bare node:http + pg server doing exactly what the API does for
// GET one task and the first page of the list (same JWT checks, same SQL, same JSON), and nothing
// else. The benchmark divides the API's req/s by this server's.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
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
  const route = /^\/api\/([^/]+)\/tasks(?:\/([^/]+))?$/.exec(url.pathname);
  if (req.method === 'GET' && url.pathname === '/health/live')
    return send(res, 200, { status: 'ok' });
  if (req.method !== 'GET' || !route) return problem(res, 404, 'NOT_FOUND');
  const claims = verifyAccessToken(req.headers.authorization);
  if (!claims) return problem(res, 401, 'UNAUTHENTICATED');
  const holder = await pool.query(TOKEN_HOLDER, [claims.sub, claims.sid, claims.ver]);
  if (holder.rowCount === 0) return problem(res, 401, 'UNAUTHENTICATED');
  const userId = holder.rows[0].id;
  if (route[1] !== 'me' && route[1] !== userId) return problem(res, 403, 'FORBIDDEN');
  if (route[2] !== undefined) {
    if (!UUID.test(route[2])) return problem(res, 400, 'VALIDATION_FAILED');
    const { rows } = await pool.query(GET_ONE, [route[2], userId]);
    if (rows.length === 0) return problem(res, 404, 'TASK_NOT_FOUND');
    return send(res, 200, toTask(rows[0]), { etag: `"${rows[0].version}"` });
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

createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    problem(res, 500, 'INTERNAL');
  });
}).listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => console.log('baseline listening'));
