import type { SqlExecutor } from '../../database/sql';
import type { CursorCodec, CursorValues } from './cursor';
import type { Pager } from './pager';
import { validationFailed } from '../problem';

/**
 * Keyset paging shared by every list of the API (tasks, users, audit log), over plain SQL.
 *
 * A list describes each of its sorts as a `SortSpec`: SQL expressions over the query's alias,
 * most significant first, ending with a unique non-null key (the id) so that the order is total.
 * A nullable key sorts its NULLs last in both directions. All keys follow the requested order, so
 * one index on the keys serves both orders, scanned backwards for one (a nullable key's two
 * orders sort by two expressions: an index each).
 *
 *   const byDue: SortSpec = { name: 'tasks:due_date', keys: [
 *     { sql: 'task.due_date', nullable: true }, { sql: 'task.id' } ] };
 *   const page = await fetchSqlPage(
 *     { select: 'task.id, task.title', from: 'tasks task', where: [ownerCondition, ...filters] },
 *     { list: `/api/${ownerId}/tasks`, sort: byDue, order, limit, cursor }, pager, sql, fromRow);
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
  /**
   * A timestamp (or date) that may be NULL. Its NULLs sort last in both orders, as +infinity
   * ascending and -infinity descending, so the key is one plain expression (`keySql`), the seek
   * one row comparison, and an index on that expression serves the first page and every later
   * one as a range (NULLS LAST in the index cannot serve a seek past a NULL: migration
   * 1764600000000).
   */
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
  /** Rows matching the filters, all pages together; null when more than COUNT_LIMIT match. */
  total: number | null;
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface OrderTerm {
  sql: string;
  direction: 'ASC' | 'DESC';
}

/** What a key sorts by in `order`: a nullable key's NULL is the infinity that sorts last. */
export function keySql(key: SortKey, order: SortOrder): string {
  return key.nullable ? `COALESCE(${key.sql}, '${order === 'asc' ? '' : '-'}infinity')` : key.sql;
}

export function orderTerms(spec: SortSpec, order: SortOrder): OrderTerm[] {
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  return spec.keys.map((key) => ({ sql: keySql(key, order), direction }));
}

/**
 * "Comes after the cursor" in the given sort, as SQL with named parameters (`:page_0`, ...):
 * one row comparison of all the keys, which PostgreSQL turns into an index range.
 */
export function seekPredicate(
  spec: SortSpec,
  order: SortOrder,
  values: CursorValues,
): { sql: string; params: Record<string, string | null> } {
  const op = order === 'asc' ? '>' : '<';
  const left = spec.keys.map((key) => keySql(key, order));
  const right = values.map((_, index) => `:page_${index}`);
  const params = Object.fromEntries(values.map((value, index) => [`page_${index}`, value]));
  const sql =
    left.length === 1
      ? `${left[0]} ${op} ${right[0]}`
      : `(${left.join(', ')}) ${op} (${right.join(', ')})`;
  return { sql, params };
}

const scopeOf = (request: PageRequest) => `${request.list}|${request.sort.name}:${request.order}`;

/** The alias under which a page query selects its sort keys as text, read back for the cursor. */
const pageKey = (index: number) => `page_key_${index}`;

/** The cursor's position; decoded before any query runs, so a bad cursor is a 400 at no cost. */
function positionAfter(request: PageRequest, codec: CursorCodec): CursorValues | undefined {
  if (request.cursor === undefined) return undefined;
  const values = codec.decode(scopeOf(request), request.cursor, request.sort.keys.length);
  // Keys are never NULL now (see SortKey.nullable): only an older release's cursor holds one.
  if (values.includes(null))
    throw validationFailed([
      { field: 'cursor', message: 'cursor is out of date: start again from the first page' },
    ]);
  return values;
}

/** The page from limit + 1 rows: the items, and the next cursor when the extra row came back. */
function pageFrom<R>(
  rows: RawRow[],
  items: R[],
  total: number | null,
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
  /**
   * A weaker condition (every row the condition holds for, and maybe more) that an index
   * answers where the condition itself is answered badly (`q`'s grams, see taskFilters). Used
   * only once a walk has shown the filters match rarely: see fetchSqlPage.
   */
  index?: Condition;
}

/** A list as plain SQL: `select` columns from `from` (`table alias`), where every condition holds. */
export interface ListSql {
  select: string;
  /**
   * Select-list expressions computed for the rows served only, not for every row a filtered
   * page walks (a subquery, like a user's task_count): over the alias, naming only columns
   * that `select` has.
   */
  computed?: string;
  from: string;
  /** The list's scope (the owner), which the sort indexes begin with. */
  where: Condition[];
  /** The request's filters. */
  filters?: Condition[];
}

/** Runs parameterized SQL ($1, $2, ...) and returns its rows. */
export type RunSql = (sql: string, values: unknown[]) => Promise<RawRow[]>;

const rowsOf = (db: SqlExecutor | RunSql, sql: string, values: unknown[]) =>
  typeof db === 'function' ? db(sql, values) : db.rows<RawRow>(sql, values);

/** A filtered page walks this many pages' worth of rows in the sort order at most. */
const WALKED_PAGES = 100;
/** A filtered count scans this many times COUNT_LIMIT rows at most before it asks the indexes. */
const SCANNED_COUNTS = 4;

/**
 * One page of `list`, run on `db` and mapped by `fromRow`: the rows after the cursor in the
 * requested sort, the cursor of the next page when there is one, and the total. The page is
 * `limit + 1` rows, the extra one telling whether a next page exists.
 *
 * Filters are not left to the planner's estimates alone, which can cost the whole table: a tag
 * nobody uses is estimated at 0.5% of the rows, so PostgreSQL walks the sort index looking for
 * 51 of them and reads all 2M. So a filtered page first walks the sort index for at most
 * WALKED_PAGES pages' worth of rows after the cursor, keeping the matches: where the filters
 * match often the page is full after a few rows. Where it is not, they match rarely (under 1% of
 * the rows walked), and the page is taken from every match after the cursor, gathered through
 * the filters' own indexes (and their `index` conditions) behind an optimization fence, then
 * sorted: a cost in proportion to the matches, not to the table.
 *
 * The total costs nothing when a first page holds every match; otherwise it is counted, but never
 * past COUNT_LIMIT + 1 matching rows, so a list matching millions costs what one matching ten
 * thousand does (the total is then null, and X-Total-Count left out). A filtered count first
 * scans SCANNED_COUNTS times that many rows; only when they hold too few matches are the
 * filters' `index` conditions added (an index that rules rows out, like `q`'s grams, costs in
 * proportion to the rows it lets through, which is many when the filters match often).
 */
export async function fetchSqlPage<R>(
  list: ListSql,
  request: PageRequest,
  pager: Pager,
  db: SqlExecutor | RunSql,
  fromRow: (row: RawRow) => R,
): Promise<Page<R>> {
  const after = positionAfter(request, pager.cursors);
  const { sort, order, limit } = request;
  const filters = list.filters ?? [];
  const scope = after ? [...list.where, seekPredicate(sort, order, after)] : list.where;
  const terms = orderTerms(sort, order);
  const orderBy = terms.map((term) => `${term.sql} ${term.direction}`).join(', ');
  const keys = terms.map((term, index) => `(${term.sql})::text AS ${pageKey(index)}`).join(', ');
  const computed = list.computed ? `${list.computed}, ` : '';
  // The walk and the gathered matches are subqueries named as the table was, for `computed`.
  const alias = list.from.trim().split(/\s+/).at(-1);
  const run = (sql: string, conditions: Condition[]) => {
    const statement = positional(sql, conditions);
    return rowsOf(db, statement.sql, statement.values);
  };
  let rows: RawRow[];
  if (!filters.length) {
    rows = await run(
      `SELECT ${list.select}, ${computed}${keys} FROM ${list.from}${whereClause(scope)} ORDER BY ${orderBy} LIMIT ${limit + 1}`,
      scope,
    );
  } else {
    // The sort keys again, as columns: ordering by them outside keeps the walk's index order
    // (no sort, and the walk stops once the page is full).
    const sorted = terms.map((term, index) => `${term.sql} AS page_sort_${index}`).join(', ');
    const outerOrder = terms
      .map((term, index) => `page_sort_${index} ${term.direction}`)
      .join(', ');
    rows = await run(
      `SELECT ${computed}* FROM (SELECT ${list.select}, ${keys}, ${sorted}, ${conjunction(filters)} AS page_match
          FROM ${list.from}${whereClause(scope)} ORDER BY ${orderBy}
         LIMIT ${WALKED_PAGES * (limit + 1)}) ${alias}
        WHERE page_match ORDER BY ${outerOrder} LIMIT ${limit + 1}`,
      [...scope, ...filters],
    );
    if (rows.length <= limit) {
      const all = [...scope, ...filters, ...indexConditions(filters)];
      rows = await run(
        `SELECT ${computed}* FROM (SELECT ${list.select}, ${keys}, ${sorted} FROM ${list.from}${whereClause(all)} OFFSET 0) ${alias}
          ORDER BY ${outerOrder} LIMIT ${limit + 1}`,
        all,
      );
    }
  }
  const matching =
    !after && rows.length <= limit ? rows.length : await countUpTo(list, pager.countLimit + 1, run);
  const total = matching <= pager.countLimit ? matching : null;
  return pageFrom(rows, rows.slice(0, limit).map(fromRow), total, request, pager.cursors);
}

/** The rows matching `list`, counted up to `most`: a LIMIT'd subquery stops the scan there. */
async function countUpTo(
  list: ListSql,
  most: number,
  run: (sql: string, conditions: Condition[]) => Promise<RawRow[]>,
): Promise<number> {
  const filters = list.filters ?? [];
  const count = async (sql: string, conditions: Condition[]) =>
    ((await run(sql, conditions))[0] as { total: number }).total;
  const upTo = (conditions: Condition[]) =>
    count(
      `SELECT count(*)::int AS total FROM (SELECT 1 FROM ${list.from}${whereClause(conditions)} LIMIT ${most}) matching`,
      conditions,
    );
  const hints = indexConditions(filters);
  if (!hints.length) return upTo([...list.where, ...filters]);
  const scanned = await count(
    `SELECT count(*)::int AS total FROM (SELECT 1 FROM (SELECT ${conjunction(filters)} AS page_match
        FROM ${list.from}${whereClause(list.where)} LIMIT ${SCANNED_COUNTS * most}) scanned
       WHERE page_match LIMIT ${most}) matching`,
    [...list.where, ...filters],
  );
  return scanned === most ? most : upTo([...list.where, ...filters, ...hints]);
}

const conjunction = (conditions: Condition[]) =>
  conditions.map((condition) => `(${condition.sql})`).join(' AND ');

const indexConditions = (conditions: Condition[]) =>
  conditions.flatMap((condition) => (condition.index ? [condition.index] : []));

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
