import { codePoints, parseIsoDateTime, unsafeInput } from './validation';

describe('parseIsoDateTime', () => {
  it.each([
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T09:30:00Z', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01T09:30:00.123Z', '2026-12-01T09:30:00.123Z'],
    ['2026-12-01T09:30Z', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01T09:30:00+02:00', '2026-12-01T07:30:00.000Z'],
    ['2026-12-01T09:30:00-0500', '2026-12-01T14:30:00.000Z'],
    ['2026-12-01T01:00:00+02:00', '2026-11-30T23:00:00.000Z'],
    ['2026-12-01T09:30:00', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01 09:30:00Z', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01t09:30:00z', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01T09:30:00.123456789Z', '2026-12-01T09:30:00.123Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
    ['2026-12-31', '2026-12-31T00:00:00.000Z'],
    ['0001-01-01', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('%p is %p', (value, iso) => {
    expect(parseIsoDateTime(value)?.toISOString()).toBe(iso);
  });

  it('reads a date-time without an offset as UTC, whatever the process time zone', () => {
    expect(parseIsoDateTime('2026-07-01T12:00:00')?.getTime()).toBe(Date.UTC(2026, 6, 1, 12, 0, 0));
  });

  it.each([
    ['February 30', '2026-02-30'],
    ['February 29 of a common year', '2026-02-29'],
    ['February 29 of 1900', '1900-02-29'],
    ['April 31', '2026-04-31T10:00:00Z'],
    ['month 13', '2026-13-01'],
    ['month 0', '2026-00-10'],
    ['day 0', '2026-12-00'],
    ['hour 25', '2026-12-01T25:00:00Z'],
    ['minute 60', '2026-12-01T09:60:00Z'],
    ['second 60', '2026-12-01T09:30:60Z'],
    ['an offset beyond 24 hours', '2026-12-01T09:30:00+25:00'],
    ['a one-digit day', '2026-12-1'],
    ['a one-digit hour', '2026-12-01T9:30Z'],
    ['a compact date', '20261201'],
    ['an hour without minutes', '2026-12-01T09'],
    ['a date with an offset but no time', '2026-12-01Z'],
    ['a year-month', '2026-12'],
    ['words', 'tomorrow'],
    ['a locale format', '12/01/2026'],
    ['an RFC 2822 date', 'Tue, 01 Dec 2026 09:00:00 GMT'],
    ['surrounding spaces', ' 2026-12-01 '],
    ['trailing text', '2026-12-01T09:30:00Zjunk'],
    ['an empty string', ''],
    ['year 0', '0000-01-01'],
    ['an offset pushing the date into year 10000', '9999-12-31T23:59:59-14:00'],
    ['an offset pulling the date into year 0', '0001-01-01T00:00:00+01:00'],
  ])('rejects %s (%p)', (_, value) => {
    expect(parseIsoDateTime(value)).toBeUndefined();
  });

  it.each([
    ['a number', 1764579600000],
    ['null', null],
    ['undefined', undefined],
    ['a Date', new Date('2026-12-01T00:00:00Z')],
    ['an object', { date: '2026-12-01' }],
    ['an array', ['2026-12-01']],
  ])('rejects %s (only strings are parsed)', (_, value) => {
    expect(parseIsoDateTime(value)).toBeUndefined();
  });
});

describe('codePoints', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 1],
    ['😀', 1],
    ['😀😀x', 3],
    ['日本語', 3],
  ])('%p has %p code points', (value, count) => {
    expect(codePoints(value)).toBe(count);
  });
});

describe('unsafeInput', () => {
  const nested = (depth: number) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = [value];
    return { tags: value };
  };

  it.each([
    ['an ordinary body', { title: 'x', tags: ['a', 'b'], due_date: null, completed: true }],
    ['an empty body', {}],
    ['a query', { status: 'completed', limit: '5' }],
    ['32 levels of nesting, the body included', nested(31)],
    ['a key that merely contains proto', { my__proto__: 1, constructors: 2 }],
    ['emoji (surrogate pairs)', { title: '😀 done 🎉', tags: ['🚀'] }],
  ])('accepts %s', (_, value) => {
    expect(unsafeInput(value)).toBeUndefined();
  });

  it.each([
    ['a NUL in a field', { title: 'a\u0000b' }, 'title'],
    ['a NUL in an array item', { tags: ['ok', 'x\u0000'] }, 'tags.1'],
    ['a NUL in a nested object', { a: { b: '\u0000' } }, 'a.b'],
    ['a lone high surrogate', { title: 'a\ud800b' }, 'title'],
    ['a lone low surrogate', { tags: ['\udc00'] }, 'tags.0'],
    ['a reversed pair', { title: '\ude00\ud83d' }, 'title'],
    ['a __proto__ key', JSON.parse('{"title":"x","__proto__":{"completed":true}}'), '__proto__'],
    ['a constructor key', { title: 'x', constructor: { prototype: {} } }, 'constructor'],
    ['a nested prototype key', { a: { prototype: 1 } }, 'a.prototype'],
    ['33 levels of nesting', nested(32), 'tags' + '.0'.repeat(31)],
    ['5000 levels of nesting', nested(5000), 'tags' + '.0'.repeat(31)],
  ])('refuses %s, naming %p', (_, value, field) => {
    expect(unsafeInput(value)).toEqual({ field, message: expect.any(String) });
  });
});
