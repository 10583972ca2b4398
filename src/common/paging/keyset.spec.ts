import { CursorCodec } from './cursor';
import {
  fetchSqlPage,
  orderTerms,
  positional,
  seekPredicate,
  type RawRow,
  type SortSpec,
} from './keyset';
import { Pager } from './pager';
import { ProblemException } from '../problem';

const byCreated: SortSpec = { name: 'created', keys: [{ sql: 't.created_at' }, { sql: 't.id' }] };
const byDue: SortSpec = {
  name: 'due',
  keys: [{ sql: 't.due_date', nullable: true }, { sql: 't.id' }],
};

describe('orderTerms', () => {
  it('applies the order to every key; a nullable key sorts its NULLs last as the infinity of that order', () => {
    expect(orderTerms(byDue, 'desc')).toEqual([
      { sql: "COALESCE(t.due_date, '-infinity')", direction: 'DESC' },
      { sql: 't.id', direction: 'DESC' },
    ]);
    expect(orderTerms(byDue, 'asc')).toEqual([
      { sql: "COALESCE(t.due_date, 'infinity')", direction: 'ASC' },
      { sql: 't.id', direction: 'ASC' },
    ]);
    expect(orderTerms(byCreated, 'asc')).toEqual([
      { sql: 't.created_at', direction: 'ASC' },
      { sql: 't.id', direction: 'ASC' },
    ]);
  });
});

describe('seekPredicate', () => {
  it('one row comparison of every key (an index range)', () => {
    expect(seekPredicate(byCreated, 'asc', ['2026-01-01', 'id-1'])).toEqual({
      sql: '(t.created_at, t.id) > (:page_0, :page_1)',
      params: { page_0: '2026-01-01', page_1: 'id-1' },
    });
    expect(seekPredicate(byCreated, 'desc', ['2026-01-01', 'id-1']).sql).toBe(
      '(t.created_at, t.id) < (:page_0, :page_1)',
    );
  });

  it('a single key is a plain comparison', () => {
    expect(seekPredicate({ name: 'id', keys: [{ sql: 't.id' }] }, 'asc', ['x']).sql).toBe(
      't.id > :page_0',
    );
  });

  it('a nullable key compares as its expression: past the NULLs too, which are infinities', () => {
    expect(seekPredicate(byDue, 'asc', ['infinity', 'id-1'])).toEqual({
      sql: "(COALESCE(t.due_date, 'infinity'), t.id) > (:page_0, :page_1)",
      params: { page_0: 'infinity', page_1: 'id-1' },
    });
    expect(seekPredicate(byDue, 'desc', ['2026-12-01', 'id-1']).sql).toBe(
      "(COALESCE(t.due_date, '-infinity'), t.id) < (:page_0, :page_1)",
    );
  });
});

describe('positional', () => {
  it('numbers each named parameter once, in order of appearance, and leaves ::casts alone', () => {
    expect(
      positional(
        'a = :x AND (b ILIKE :q OR c ILIKE :q) AND d @> ARRAY[:y]::text[] AND e::text = :x',
        [
          { sql: '', params: { x: 1 } },
          { sql: '', params: { q: '%a%', y: 'tag' } },
        ],
      ),
    ).toEqual({
      sql: 'a = $1 AND (b ILIKE $2 OR c ILIKE $2) AND d @> ARRAY[$3]::text[] AND e::text = $1',
      values: [1, '%a%', 'tag'],
    });
  });

  it('refuses a parameter without a value rather than sending a literal :name', () => {
    expect(() => positional('a = :missing', [])).toThrow(':missing');
  });
});

describe('fetchSqlPage', () => {
  const pager = new Pager(new CursorCodec('a-secret-that-is-long-enough-0123456789'), 5);
  const request = { list: '/l', sort: byDue, order: 'asc' as const, limit: 2 };
  const list = {
    select: 't.id',
    from: 'tasks t',
    where: [{ sql: 't.user_id = :u', params: { u: 'U' } }],
  };
  const COUNT =
    'SELECT count(*)::int AS total FROM (SELECT 1 FROM tasks t WHERE (t.user_id = $1) LIMIT 6) matching';

  /** A database answering `rows` to the page and `counted` to the count, recording what it got. */
  function database(rows: RawRow[], counted: number) {
    const sent: [string, unknown[]][] = [];
    const run = async (sql: string, values: unknown[]) => {
      sent.push([sql, values]);
      return sql.startsWith('SELECT count') ? [{ total: counted }] : rows;
    };
    return { sent, run };
  }

  it('reads limit + 1 rows after the cursor, counts up to COUNT_LIMIT + 1, and returns the next cursor', async () => {
    const rows = [
      { id: 'a', page_key_0: '2026-01-01', page_key_1: 'a' },
      { id: 'b', page_key_0: 'infinity', page_key_1: 'b' },
      { id: 'c', page_key_0: 'infinity', page_key_1: 'c' },
    ];
    const { sent, run } = database(rows, 5);
    const page = await fetchSqlPage(list, request, pager, run, (row) => row.id);
    expect(page).toMatchObject({ items: ['a', 'b'], total: 5 });
    expect(sent).toEqual([
      [
        "SELECT t.id, (COALESCE(t.due_date, 'infinity'))::text AS page_key_0, (t.id)::text AS page_key_1 FROM tasks t WHERE (t.user_id = $1) ORDER BY COALESCE(t.due_date, 'infinity') ASC, t.id ASC LIMIT 3",
        ['U'],
      ],
      [COUNT, ['U']],
    ]);

    sent.length = 0;
    await fetchSqlPage(list, { ...request, cursor: page.nextCursor! }, pager, run, (row) => row.id);
    expect(sent[0][0]).toContain(
      "WHERE (t.user_id = $1) AND ((COALESCE(t.due_date, 'infinity'), t.id) > ($2, $3))",
    );
    expect(sent[0][1]).toEqual(['U', 'infinity', 'b']);
    // The count has the filters only, not the position.
    expect(sent[1]).toEqual([COUNT, ['U']]);
  });

  it('past COUNT_LIMIT the total is null (X-Total-Count left out)', async () => {
    const rows = [1, 2, 3].map((n) => ({ id: `${n}`, page_key_0: null, page_key_1: `${n}` }));
    const { run } = database(rows, 6);
    expect((await fetchSqlPage(list, request, pager, run, (row) => row.id)).total).toBeNull();
  });

  it('a first page holding every match is its own count: one statement', async () => {
    const { sent, run } = database([{ id: 'a', page_key_0: null, page_key_1: 'a' }], 99);
    expect(await fetchSqlPage(list, request, pager, run, (row) => row.id)).toEqual({
      items: ['a'],
      total: 1,
      nextCursor: null,
    });
    expect(sent).toHaveLength(1);
  });

  it('even then, a total past COUNT_LIMIT is left out', async () => {
    const rows = 'abcdef'.split('').map((id) => ({ id, page_key_0: null, page_key_1: id }));
    const { sent, run } = database(rows, 99);
    const page = await fetchSqlPage(list, { ...request, limit: 10 }, pager, run, (row) => row.id);
    expect([page.items.length, page.total, sent.length]).toEqual([6, null, 1]);
  });

  it('rejects a bad cursor before any query, and an older release’s cursor holding a NULL', async () => {
    const { sent, run } = database([], 0);
    const old = pager.cursors.encode('/l|due:asc', [null, 'b']);
    for (const cursor of ['garbage', old])
      await expect(
        fetchSqlPage(list, { ...request, cursor }, pager, run, (row) => row.id),
      ).rejects.toThrow(ProblemException);
    expect(sent).toEqual([]);
  });

  it('runs on an SqlExecutor (the pool or a transaction) as well as on a function', async () => {
    const rows = jest.fn(async () => []);
    const executor = { rows, one: jest.fn(), execute: jest.fn() };
    expect(await fetchSqlPage(list, request, pager, executor as never, (row) => row.id)).toEqual({
      items: [],
      total: 0,
      nextCursor: null,
    });
    expect(rows).toHaveBeenCalledTimes(1);
  });
});

describe('fetchSqlPage of a filtered list', () => {
  const pager = new Pager(new CursorCodec('a-secret-that-is-long-enough-0123456789'), 5);
  const byId: SortSpec = { name: 'id', keys: [{ sql: 't.id' }] };
  const request = { list: '/l', sort: byId, order: 'asc' as const, limit: 2 };
  const list = {
    select: 't.id',
    from: 'tasks t',
    where: [{ sql: 't.user_id = :u', params: { u: 'U' } }],
    filters: [
      {
        sql: 't.title LIKE :q',
        params: { q: '%x%' },
        index: { sql: 'grams(t.title) @> grams(:g)', params: { g: 'x' } },
      },
    ],
  };
  const rowsOf = (ids: string[]) => ids.map((id) => ({ id, page_key_0: id }));

  /** Answers the walk, the fenced query and the counts in turn; records what was sent. */
  function database(answers: {
    walk: RawRow[];
    fenced?: RawRow[];
    scanned?: number;
    count?: number;
  }) {
    const sent: string[] = [];
    const run = async (text: string) => {
      const sql = text.replace(/\s+/g, ' ');
      sent.push(sql);
      if (sql.includes(') scanned')) return [{ total: answers.scanned }];
      if (sql.includes('OFFSET 0')) return answers.fenced ?? [];
      if (sql.includes('AS page_match')) return answers.walk;
      return [{ total: answers.count }];
    };
    return { sent, run };
  }

  it('walks the sort order for at most 100 pages’ worth of rows, keeping the matches', async () => {
    const { sent, run } = database({ walk: rowsOf(['a', 'b', 'c']), scanned: 6 });
    const page = await fetchSqlPage(list, request, pager, run, (row) => row.id);
    expect(page).toMatchObject({ items: ['a', 'b'], total: null });
    expect(sent[0]).toBe(
      'SELECT * FROM (SELECT t.id, (t.id)::text AS page_key_0, t.id AS page_sort_0, (t.title LIKE $1) AS page_match FROM tasks t WHERE (t.user_id = $2) ORDER BY t.id ASC LIMIT 300) t WHERE page_match ORDER BY page_sort_0 ASC LIMIT 3',
    );
    // The count scans 4 times COUNT_LIMIT + 1 rows first; there were more than 5 matches.
    expect(sent[1]).toBe(
      'SELECT count(*)::int AS total FROM (SELECT 1 FROM (SELECT (t.title LIKE $1) AS page_match FROM tasks t WHERE (t.user_id = $2) LIMIT 24) scanned WHERE page_match LIMIT 6) matching',
    );
    expect(sent).toHaveLength(2);
  });

  it('a walk short of a page: every match after the cursor, through the indexes, behind a fence', async () => {
    const { sent, run } = database({
      walk: rowsOf(['a']),
      fenced: rowsOf(['a', 'q', 'z']),
      scanned: 1,
      count: 4,
    });
    const page = await fetchSqlPage(list, request, pager, run, (row) => row.id);
    expect(page).toMatchObject({ items: ['a', 'q'], total: 4 });
    expect(sent[1]).toBe(
      'SELECT * FROM (SELECT t.id, (t.id)::text AS page_key_0, t.id AS page_sort_0 FROM tasks t WHERE (t.user_id = $1) AND (t.title LIKE $2) AND (grams(t.title) @> grams($3)) OFFSET 0) t ORDER BY page_sort_0 ASC LIMIT 3',
    );
    // Too few matches in the rows scanned: the count asks the indexes too.
    expect(sent[3]).toBe(
      'SELECT count(*)::int AS total FROM (SELECT 1 FROM tasks t WHERE (t.user_id = $1) AND (t.title LIKE $2) AND (grams(t.title) @> grams($3)) LIMIT 6) matching',
    );
    const next = database({ walk: [], fenced: [] });
    await fetchSqlPage(
      list,
      { ...request, cursor: page.nextCursor! },
      pager,
      next.run,
      (row) => row.id,
    );
    expect(next.sent[0]).toContain(
      'WHERE (t.user_id = $2) AND (t.id > $3) ORDER BY t.id ASC LIMIT 300',
    );
    expect(next.sent[1]).toContain(
      'WHERE (t.user_id = $1) AND (t.id > $2) AND (t.title LIKE $3) AND (grams(t.title) @> grams($4))',
    );
  });

  it('computed columns: for the rows served, outside the walk and the gathered matches', async () => {
    const counted = { ...list, computed: '(SELECT count(*) FROM x WHERE x.t = t.id) AS n' };
    const { sent, run } = database({ walk: [], fenced: [] });
    await fetchSqlPage(counted, request, pager, run, (row) => row.id);
    for (const sql of sent)
      expect(sql).toMatch(
        /^SELECT \(SELECT count\(\*\) FROM x WHERE x.t = t.id\) AS n, \* FROM \(SELECT t.id, /,
      );
    const plain = database({ walk: [] });
    await fetchSqlPage({ ...counted, filters: [] }, request, pager, plain.run, (row) => row.id);
    expect(plain.sent[0]).toMatch(
      /^SELECT t.id, \(SELECT count\(\*\) FROM x WHERE x.t = t.id\) AS n, \(t.id\)::text AS page_key_0 FROM tasks t/,
    );
  });

  it('filters without an index condition: the count is one LIMIT’d statement', async () => {
    const plain = { ...list, filters: [{ sql: 't.done', params: {} }] };
    const { sent, run } = database({ walk: rowsOf(['a', 'b', 'c']), count: 3 });
    expect((await fetchSqlPage(plain, request, pager, run, (row) => row.id)).total).toBe(3);
    expect(sent[1]).toBe(
      'SELECT count(*)::int AS total FROM (SELECT 1 FROM tasks t WHERE (t.user_id = $1) AND (t.done) LIMIT 6) matching',
    );
  });
});
