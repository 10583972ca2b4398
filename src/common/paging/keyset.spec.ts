import { orderTerms, seekPredicate, type SortSpec } from './keyset';

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
