import { fetchSqlPage, Pager } from '../../src/common/paging';
import type { Condition, Page, PageRequest, SortOrder, SortSpec } from '../../src/common/paging';
import { ProblemException } from '../../src/common/problem';
import { outcomeOf, useServiceModule } from '../support/service-module';

/** fetchSqlPage on a small table of the real database: the edges a keyset pager gets wrong. */
describe('keyset paging on PostgreSQL', () => {
  const m = useServiceModule();

  const byId = { sql: 'i.id' };
  const SORTS: Record<'rank' | 'due' | 'created', SortSpec> = {
    rank: { name: 'rank', keys: [{ sql: 'i.rank' }, byId] },
    due: { name: 'due', keys: [{ sql: 'i.due', nullable: true }, byId] },
    created: { name: 'created', keys: [{ sql: 'i.created_at' }, byId] },
  };

  interface Item {
    id: string;
    rank: number;
    due: string | null;
  }

  /** Rows as `id rank due`; ids sort in the order given. */
  async function items(rows: [string, number, string | null][]) {
    await m.sql.execute('TRUNCATE items');
    await insert(rows);
  }
  const insert = (rows: [string, number, string | null][]) =>
    m.sql.execute(
      `INSERT INTO items (id, rank, due) SELECT * FROM unnest($1::text[], $2::int[], $3::date[])`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );

  const page = (
    sort: SortSpec,
    order: SortOrder,
    limit: number,
    cursor?: string,
    list = '/items',
    filters: Condition[] = [],
  ): Promise<Page<Item>> => {
    const request: PageRequest = { list, sort, order, limit, cursor };
    return fetchSqlPage(
      { select: 'i.id, i.rank, i.due::text AS due', from: 'items i', where: [], filters },
      request,
      m.get(Pager),
      m.sql,
      (row) => row as unknown as Item,
    );
  };

  /** Every page, following the cursors to the end: the ids of each page. */
  async function walk(sort: SortSpec, order: SortOrder, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const next = await page(sort, order, limit, cursor);
      pages.push(next.items.map((item) => item.id));
      cursor = next.nextCursor ?? undefined;
    } while (cursor && pages.length < 50);
    return pages;
  }

  beforeAll(async () => {
    await m.sql.execute(`CREATE TABLE items (
      id text PRIMARY KEY,
      rank integer NOT NULL,
      due date,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  });

  describe('ties on the sort key are broken by the id, in the requested order', () => {
    beforeEach(() =>
      items([
        ['a', 2, null],
        ['b', 1, null],
        ['c', 2, null],
        ['d', 1, null],
        ['e', 2, null],
        ['f', 1, null],
        ['g', 3, null],
      ]),
    );

    it.each([1, 2, 3])('ascending, %i a page', async (limit) => {
      expect((await walk(SORTS.rank, 'asc', limit)).flat()).toEqual([
        'b',
        'd',
        'f',
        'a',
        'c',
        'e',
        'g',
      ]);
    });

    it.each([1, 2, 3])('descending, %i a page', async (limit) => {
      expect((await walk(SORTS.rank, 'desc', limit)).flat()).toEqual([
        'g',
        'e',
        'c',
        'a',
        'f',
        'd',
        'b',
      ]);
    });
  });

  describe('a nullable key sorts its NULLs last in both orders', () => {
    beforeEach(() =>
      items([
        ['a', 0, null],
        ['b', 0, '2026-03-01'],
        ['c', 0, null],
        ['d', 0, '2026-01-01'],
        ['e', 0, '2026-03-01'],
        ['f', 0, null],
      ]),
    );

    it.each([1, 2, 4])('ascending, %i a page', async (limit) => {
      expect((await walk(SORTS.due, 'asc', limit)).flat()).toEqual(['d', 'b', 'e', 'a', 'c', 'f']);
    });

    it.each([1, 2, 4])('descending, %i a page', async (limit) => {
      expect((await walk(SORTS.due, 'desc', limit)).flat()).toEqual(['e', 'b', 'd', 'f', 'c', 'a']);
    });
  });

  describe('limit + 1: a next cursor exactly when more rows follow', () => {
    it.each([
      [0, 3, [[]]],
      [2, 3, [['a', 'b']]],
      [3, 3, [['a', 'b', 'c']]],
      [4, 3, [['a', 'b', 'c'], ['d']]],
      [
        6,
        3,
        [
          ['a', 'b', 'c'],
          ['d', 'e', 'f'],
        ],
      ],
    ])('%i rows, %i a page', async (rows, limit, pages) => {
      await items(
        'abcdef'
          .slice(0, rows)
          .split('')
          .map((id) => [id, 1, null]),
      );
      expect(await walk(SORTS.rank, 'asc', limit)).toEqual(pages);
      const first = await page(SORTS.rank, 'asc', limit);
      expect(first.total).toBe(rows);
      expect(first.nextCursor === null).toBe(rows <= limit);
    });
  });

  describe('a cursor is valid only for the list, sort and order it was issued for', () => {
    let cursor: string;
    beforeAll(async () => {
      await items([
        ['a', 1, '2026-01-01'],
        ['b', 2, null],
        ['c', 3, null],
      ]);
      cursor = (await page(SORTS.rank, 'asc', 1)).nextCursor!;
    });

    it('is accepted where it was issued', async () => {
      expect((await page(SORTS.rank, 'asc', 1, cursor)).items.map((i) => i.id)).toEqual(['b']);
    });

    it.each([
      ['the other order', SORTS.rank, 'desc', '/items'],
      ['another sort', SORTS.due, 'asc', '/items'],
      ['another sort of the same shape', SORTS.created, 'asc', '/items'],
      ['another list', SORTS.rank, 'asc', '/other-items'],
    ] as const)('on %s: a 400 naming the cursor', async (_, sort, order, list) => {
      const error = await page(sort, order, 1, cursor, list).catch((e: ProblemException) => e);
      expect(error).toBeInstanceOf(ProblemException);
      expect([
        (error as ProblemException).getStatus(),
        (error as ProblemException).extra.errors,
      ]).toEqual([400, [{ field: 'cursor', message: expect.any(String) }]]);
    });

    it('an edited cursor: a 400 too', async () => {
      const edited = `${Buffer.from('[3,"c"]').toString('base64url')}.${cursor.split('.')[1]}`;
      expect(await outcomeOf(page(SORTS.rank, 'asc', 1, edited))).toBe('VALIDATION_FAILED');
    });
  });

  describe('a filtered list: walked in the sort order, or gathered when its matches are rare', () => {
    // 700 rows; rank 7 only after row 500, beyond the walk of a first page of 2 (300 rows).
    beforeAll(async () => {
      await m.sql.execute('TRUNCATE items');
      await m.sql.execute(
        `INSERT INTO items (id, rank, due)
         SELECT 'i' || lpad(n::text, 4, '0'), CASE WHEN n > 500 AND n % 10 = 7 THEN 7 ELSE n % 7 END,
                CASE WHEN n % 3 = 0 THEN date '2026-01-01' + n END
           FROM generate_series(1, 700) n`,
      );
    });
    afterAll(() => m.sql.execute('TRUNCATE items'));

    /** Every page of the filtered list, and the totals each page reported. */
    async function walkFiltered(sort: SortSpec, order: SortOrder, filters: Condition[]) {
      const ids: string[] = [];
      const totals = new Set<number | null>();
      let cursor: string | undefined;
      for (let pages = 0; pages < 400; pages++) {
        const next = await page(sort, order, 2, cursor, '/items', filters);
        ids.push(...next.items.map((item) => item.id));
        totals.add(next.total);
        if (!next.nextCursor) return { ids, totals: [...totals] };
        cursor = next.nextCursor;
      }
      throw new Error('the walk does not end');
    }
    const expected = async (where: string, sort: 'due' | 'rank', order: SortOrder) => {
      const key =
        sort === 'due' ? `COALESCE(due, '${order === 'asc' ? '' : '-'}infinity')` : 'rank';
      return (
        await m.sql.rows<{ id: string }>(
          `SELECT id FROM items WHERE ${where} ORDER BY ${key} ${order}, id ${order}`,
        )
      ).map((row) => row.id);
    };
    const rare: Condition = {
      sql: 'i.rank = :rank',
      params: { rank: 7 },
      // A weaker condition, as an index would answer it: it may let more rows through, never fewer.
      index: { sql: 'i.rank >= :atLeast', params: { atLeast: 6 } },
    };
    const dense: Condition = { sql: 'i.rank % 2 = 0' };

    it.each([
      ['rare (gathered)', 'rank = 7', [rare]],
      ['dense (walked)', 'rank % 2 = 0', [dense]],
      ['both', 'rank = 7 AND rank % 2 = 0', [rare, dense]],
    ] as const)('%s: every match once, in order, counted', async (_, where, filters) => {
      for (const sort of ['due', 'rank'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const want = await expected(where, sort, order);
          const walk = await walkFiltered(SORTS[sort], order, [...filters]);
          expect(walk.ids).toEqual(want);
          expect(walk.totals).toEqual([want.length]);
        }
      }
    });
  });

  describe('rows written between pages are neither skipped nor repeated', () => {
    it('rows inserted before and after the position, and the last row served deleted', async () => {
      await items([
        ['b', 1, null],
        ['d', 2, null],
        ['f', 3, null],
        ['h', 4, null],
      ]);
      const first = await page(SORTS.rank, 'asc', 2);
      expect(first.items.map((i) => i.id)).toEqual(['b', 'd']);
      // 'a' and 'c' sort before the position, 'e' and 'g' after it, 'd2' ties with 'd' after it.
      await insert([
        ['a', 0, null],
        ['c', 2, null],
        ['d2', 2, null],
        ['e', 3, null],
        ['g', 4, null],
      ]);
      await m.sql.execute(`DELETE FROM items WHERE id = 'd'`);
      const rest: string[] = [];
      let cursor = first.nextCursor;
      while (cursor) {
        const next = await page(SORTS.rank, 'asc', 2, cursor);
        rest.push(...next.items.map((i) => i.id));
        cursor = next.nextCursor;
      }
      expect(rest).toEqual(['d2', 'e', 'f', 'g', 'h']);
    });

    it('timestamps a microsecond apart keep their order across pages', async () => {
      await m.sql.execute('TRUNCATE items');
      // One statement: the same now(), moved by whole microseconds; ids run against the time.
      await m.sql.execute(
        `INSERT INTO items (id, rank, created_at)
         SELECT 'x' || (10 - n), 0, now() + n * interval '1 microsecond' FROM generate_series(1, 6) n`,
      );
      const ids = (await walk(SORTS.created, 'asc', 1)).flat();
      expect(ids).toEqual(['x9', 'x8', 'x7', 'x6', 'x5', 'x4']);
      await insert([['x0', 0, null]]); // created now: last in ascending order
      expect((await walk(SORTS.created, 'desc', 2)).flat()).toEqual(['x0', ...ids.reverse()]);
    });
  });
});
