import { CursorCodec } from './cursor';
import { fetchSqlPage, orderTerms, positional, seekPredicate, type SortSpec } from './keyset';

const byCreated: SortSpec = { name: 'created', keys: [{ sql: 't.created_at' }, { sql: 't.id' }] };
const byDue: SortSpec = {
  name: 'due',
  keys: [{ sql: 't.due_date', nullable: true }, { sql: 't.id' }],
};

describe('orderTerms', () => {
  it('applies the order to every key and puts NULLs last for nullable keys', () => {
    expect(orderTerms(byDue, 'desc')).toEqual([
      { sql: 't.due_date', direction: 'DESC', nulls: 'NULLS LAST' },
      { sql: 't.id', direction: 'DESC' },
    ]);
    expect(orderTerms(byCreated, 'asc')).toEqual([
      { sql: 't.created_at', direction: 'ASC' },
      { sql: 't.id', direction: 'ASC' },
    ]);
  });
});

describe('seekPredicate', () => {
  it('non-nullable keys: one row comparison (an index range)', () => {
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

  it('a nullable key with a value: later values, then every NULL', () => {
    for (const [order, op] of [
      ['asc', '>'],
      ['desc', '<'],
    ] as const) {
      expect(seekPredicate(byDue, order, ['2026-12-01', 'id-1'])).toEqual({
        sql: `(t.due_date ${op} :page_0 OR t.due_date IS NULL OR (t.due_date = :page_0 AND t.id ${op} :page_1))`,
        params: { page_0: '2026-12-01', page_1: 'id-1' },
      });
    }
  });

  it('a nullable key at NULL: only NULL rows with a later id (NULLs are last in both orders)', () => {
    expect(seekPredicate(byDue, 'asc', [null, 'id-1'])).toEqual({
      sql: '(t.due_date IS NULL AND t.id > :page_1)',
      params: { page_1: 'id-1' },
    });
    expect(seekPredicate(byDue, 'desc', [null, 'id-1']).sql).toBe(
      '(t.due_date IS NULL AND t.id < :page_1)',
    );
  });

  it('a NULL for a non-nullable key matches nothing rather than guessing', () => {
    expect(seekPredicate(byCreated, 'asc', [null, 'id-1']).sql).toBe('FALSE');
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
  const codec = new CursorCodec('a-secret-that-is-long-enough-0123456789');
  const request = { list: '/l', sort: byDue, order: 'asc' as const, limit: 2 };
  const list = {
    select: 't.id',
    from: 'tasks t',
    where: [{ sql: 't.user_id = :u', params: { u: 'U' } }],
  };

  it('counts, then reads limit + 1 rows after the cursor, and returns the next cursor', async () => {
    const sent: [string, unknown[]][] = [];
    const rows = [
      { id: 'a', page_key_0: '2026-01-01', page_key_1: 'a' },
      { id: 'b', page_key_0: null, page_key_1: 'b' },
      { id: 'c', page_key_0: null, page_key_1: 'c' },
    ];
    const run = async (sql: string, values: unknown[]) => {
      sent.push([sql, values]);
      return sql.startsWith('SELECT count') ? [{ total: 7 }] : rows;
    };
    const page = await fetchSqlPage(list, request, codec, run, (row) => row.id);
    expect(page).toMatchObject({ items: ['a', 'b'], total: 7 });
    expect(sent[0]).toEqual([
      'SELECT count(*)::int AS total FROM tasks t WHERE (t.user_id = $1)',
      ['U'],
    ]);
    expect(sent[1]).toEqual([
      'SELECT t.id, (t.due_date)::text AS page_key_0, (t.id)::text AS page_key_1 FROM tasks t WHERE (t.user_id = $1) ORDER BY t.due_date ASC NULLS LAST, t.id ASC LIMIT 3',
      ['U'],
    ]);

    sent.length = 0;
    await fetchSqlPage(list, { ...request, cursor: page.nextCursor! }, codec, run, (row) => row.id);
    expect(sent[1][0]).toContain('WHERE (t.user_id = $1) AND ((t.due_date IS NULL AND t.id > $2))');
    expect(sent[1][1]).toEqual(['U', 'b']);
  });

  it('has no next cursor on the last page, and rejects a bad cursor before any query', async () => {
    const run = jest.fn(async (sql: string) =>
      sql.startsWith('SELECT count')
        ? [{ total: 1 }]
        : [{ id: 'a', page_key_0: null, page_key_1: 'a' }],
    );
    expect((await fetchSqlPage(list, request, codec, run, (row) => row.id)).nextCursor).toBeNull();
    run.mockClear();
    await expect(
      fetchSqlPage(list, { ...request, cursor: 'garbage' }, codec, run, (row) => row.id),
    ).rejects.toThrow();
    expect(run).not.toHaveBeenCalled();
  });

  it('runs on an SqlExecutor (the pool or a transaction) as well as on a function', async () => {
    const rows = jest.fn(async (sql: string) =>
      sql.startsWith('SELECT count') ? [{ total: 0 }] : [],
    );
    const executor = { rows, one: jest.fn(), execute: jest.fn() };
    expect(await fetchSqlPage(list, request, codec, executor as never, (row) => row.id)).toEqual({
      items: [],
      total: 0,
      nextCursor: null,
    });
    expect(rows).toHaveBeenCalledTimes(2);
  });
});
