import { ProblemException } from '../problem';
import { CursorCodec } from './cursor';

describe('CursorCodec', () => {
  const codec = new CursorCodec('a-secret-that-is-long-enough-0123456789');
  const values = ['2026-11-23 10:00:00.123456+00', 'b6c1f2a4-0000-4000-8000-000000000001'];

  const rejects = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).getStatus()).toBe(400);
      expect((error as ProblemException).extra.errors).toEqual([
        { field: 'cursor', message: expect.any(String) },
      ]);
      return;
    }
    throw new Error('expected a 400');
  };

  it('round-trips values, nulls included, as an opaque URL-safe string', () => {
    const cursor = codec.encode('tasks:due_date:asc', [null, values[1]]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(codec.decode('tasks:due_date:asc', cursor, 2)).toEqual([null, values[1]]);
    expect(
      codec.decode('tasks:created:desc', codec.encode('tasks:created:desc', values), 2),
    ).toEqual(values);
  });

  it('rejects a cursor issued for another sort, order or list', () => {
    const cursor = codec.encode('tasks:created:desc', values);
    rejects(() => codec.decode('tasks:created:asc', cursor, 2));
    rejects(() => codec.decode('tasks:updated:desc', cursor, 2));
    rejects(() => codec.decode('users:created:desc', cursor, 2));
  });

  it('rejects a cursor signed with another secret', () => {
    const other = new CursorCodec('another-secret-that-is-long-enough-0123');
    rejects(() => codec.decode('s', other.encode('s', values), 2));
  });

  it('rejects an edited payload or MAC', () => {
    const [payload, mac] = codec.encode('s', values).split('.');
    const forged = Buffer.from(JSON.stringify(['1970-01-01', values[1]])).toString('base64url');
    rejects(() => codec.decode('s', `${forged}.${mac}`, 2));
    rejects(() =>
      codec.decode('s', `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, 2),
    );
  });

  it.each([
    '',
    'garbage',
    'a.b',
    '.',
    'x'.repeat(3000),
    'abc.def.ghi',
    'a b.cccccccccccccccccccccc',
  ])('rejects malformed input %#', (cursor) => rejects(() => codec.decode('s', cursor, 2)));

  it('rejects a validly signed cursor of the wrong shape (a sort definition changed)', () => {
    rejects(() => codec.decode('s', codec.encode('s', values), 3));
    rejects(() => codec.decode('s', codec.encode('s', [1, 2] as never), 2));
  });
});
