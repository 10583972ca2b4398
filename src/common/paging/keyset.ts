import type { SqlExecutor } from '../../database/sql';
import type { CursorCodec, CursorValues } from './cursor';

/**
 * Keyset paging shared by every list of the API (tasks, users, audit log), over plain SQL.
 *
 * A list describes each of its sorts as a `SortSpec`: SQL expressions over the query's alias,
 * most significant first, ending with a unique non-null key (the id) so that the order is total.
 * A nullable key sorts its NULLs last in both directions. All keys follow the requested order.
 *
 *   const byDue: SortSpec = { name: 'tasks:due_date', keys: [
 *     { sql: 'task.due_date', nullable: true }, { sql: 'task.id' } ] };
 *   const page = await fetchSqlPage(
 *     { select: 'task.id, task.title', from: 'tasks task', where: [ownerCondition, ...filters] },
 *     { list: `/api/${ownerId}/tasks`, sort: byDue, order, limit, cursor }, codec, sql, fromRow);
 *   return PageOf.of(page, toResponse); // X-Total-Count and Link are written from it
 *
 * Lists may share sorts (the admin's task lists use the owner's), so the cursor is bound to the
 * `list` as well as to the sort and order: a cursor replayed on any other list is a 400.
 *
 * The cursor carries the sort keys of the last row served, read back from PostgreSQL as text
 * (so timestamps keep their microseconds) and compared as the expression's own type, so
 * following `rel="next"` visits each row once even while rows are being added.
 */
export interface SortKey {
  sql: string;
  nullable?: boolean;
}

export interface SortSpec {
  /** Identifies the sort in its list's cursors (a cursor is accepted by one list, sort and order). */
  name: string;
  keys: SortKey[];
}

export type SortOrder = 'asc' | 'desc';

export interface PageRequest {
  /** Which list the cursor belongs to: its route, with the path parameters filled in. */
  list: string;
  sort: SortSpec;
  order: SortOrder;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Rows matching the filters, all pages together. */
  total: number;
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface OrderTerm {
  sql: string;
  direction: 'ASC' | 'DESC';
  nulls?: 'NULLS LAST';
}

export function orderTerms(spec: SortSpec, order: SortOrder): OrderTerm[] {
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  return spec.keys.map((key) => ({
    sql: key.sql,
    direction,
    ...(key.nullable ? { nulls: 'NULLS LAST' as const } : {}),
  }));
}

/**
 * "Comes after the cursor" in the given sort, as SQL with named parameters (`:page_0`, ...).
 * Runs of non-nullable keys become one row comparison, which PostgreSQL turns into an index range.
 */
export function seekPredicate(
  spec: SortSpec,
  order: SortOrder,
  values: CursorValues,
): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const op = order === 'asc' ? '>' : '<';
  const param = (index: number) => {
    params[`page_${index}`] = values[index] as string;
    return `:page_${index}`;
  };
  const after = (from: number): string => {
    const keys = spec.keys.slice(from);
    if (keys.every((key) => !key.nullable)) {
      if (keys.some((_, i) => values[from + i] === null)) return 'FALSE';
      const left = keys.map((key) => key.sql);
      const right = keys.map((_, i) => param(from + i));
      return keys.length === 1
        ? `${left[0]} ${op} ${right[0]}`
        : `(${left.join(', ')}) ${op} (${right.join(', ')})`;
    }
    const key = spec.keys[from];
    const rest = from + 1 < spec.keys.length ? after(from + 1) : 'FALSE';
    if (values[from] === null) {
      // A NULL key is last: only rows with a NULL key and later further keys follow.
      return key.nullable ? `(${key.sql} IS NULL AND ${rest})` : 'FALSE';
    }
    const value = param(from);
    const laterNulls = key.nullable ? ` OR ${key.sql} IS NULL` : '';
    return `(${key.sql} ${op} ${value}${laterNulls} OR (${key.sql} = ${value} AND ${rest}))`;
  };
  return { sql: after(0), params };
}

const scopeOf = (request: PageRequest) => `${request.list}|${request.sort.name}:${request.order}`;

/** The alias under which a page query selects its sort keys as text, read back for the cursor. */
const pageKey = (index: number) => `page_key_${index}`;

/** The cursor's position; decoded before any query runs, so a bad cursor is a 400 at no cost. */
const positionAfter = (request: PageRequest, codec: CursorCodec): CursorValues | undefined =>
  request.cursor !== undefined
    ? codec.decode(scopeOf(request), request.cursor, request.sort.keys.length)
    : undefined;

/** The page from limit + 1 rows: the items, and the next cursor when the extra row came back. */
function pageFrom<R>(
  rows: RawRow[],
  items: R[],
  total: number,
  request: PageRequest,
  codec: CursorCodec,
): Page<R> {
  const last = rows[items.length - 1] as Record<string, string | null> | undefined;
  const nextCursor =
    rows.length > request.limit && last
      ? codec.encode(
          scopeOf(request),
          request.sort.keys.map((_, index) => last[pageKey(index)]),
        )
      : null;
  return { items, total, nextCursor };
}

/** A result row as the driver returns it, keyed by the selection's aliases. */
export type RawRow = Record<string, unknown>;

/** A condition in SQL with named parameters (`:name`), as the list filters produce them. */
export interface Condition {
  sql: string;
  params?: Record<string, unknown>;
}

/** A list as plain SQL: `select` columns from `from`, where every condition holds. */
export interface ListSql {
  select: string;
  from: string;
  where: Condition[];
}

/** Runs parameterized SQL ($1, $2, ...) and returns its rows. */
export type RunSql = (sql: string, values: unknown[]) => Promise<RawRow[]>;

const rowsOf = (db: SqlExecutor | RunSql, sql: string, values: unknown[]) =>
  typeof db === 'function' ? db(sql, values) : db.rows<RawRow>(sql, values);

/**
 * One page of `list` (its `where` carries the scope and the filters, nothing else), run on `db`
 * and mapped by `fromRow`: the total, the rows after the cursor in the requested sort, and the
 * cursor of the next page when there is one. Two statements, a `count(*)` for X-Total-Count,
 * then `limit + 1` rows, the extra one telling whether a next page exists.
 */
export async function fetchSqlPage<R>(
  list: ListSql,
  request: PageRequest,
  codec: CursorCodec,
  db: SqlExecutor | RunSql,
  fromRow: (row: RawRow) => R,
): Promise<Page<R>> {
  const after = positionAfter(request, codec);
  const count = positional(
    `SELECT count(*)::int AS total FROM ${list.from}${whereClause(list.where)}`,
    list.where,
  );
  const [{ total }] = (await rowsOf(db, count.sql, count.values)) as { total: number }[];
  const { sort, order, limit } = request;
  const where = after ? [...list.where, seekPredicate(sort, order, after)] : list.where;
  const orderBy = orderTerms(sort, order)
    .map((term) => [term.sql, term.direction, term.nulls].filter(Boolean).join(' '))
    .join(', ');
  const keys = sort.keys.map((key, index) => `(${key.sql})::text AS ${pageKey(index)}`).join(', ');
  const page = positional(
    `SELECT ${list.select}, ${keys} FROM ${list.from}${whereClause(where)} ORDER BY ${orderBy} LIMIT ${limit + 1}`,
    where,
  );
  const rows = await rowsOf(db, page.sql, page.values);
  return pageFrom(rows, rows.slice(0, limit).map(fromRow), total, request, codec);
}

const whereClause = (conditions: Condition[]) =>
  conditions.length ? ` WHERE ${conditions.map((c) => `(${c.sql})`).join(' AND ')}` : '';

/** `:name` (not a `::type` cast) becomes `$n`, one number per name, in order of appearance. */
export function positional(
  sql: string,
  conditions: Condition[],
): { sql: string; values: unknown[] } {
  const params: Record<string, unknown> = Object.assign({}, ...conditions.map((c) => c.params));
  const numbers = new Map<string, number>();
  const values: unknown[] = [];
  const text = sql.replace(/(?<!:):([A-Za-z_]\w*)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for the SQL parameter :${name}`);
    let number = numbers.get(name);
    if (number === undefined) {
      values.push(params[name]);
      number = values.length;
      numbers.set(name, number);
    }
    return `$${number}`;
  });
  return { sql: text, values };
}
