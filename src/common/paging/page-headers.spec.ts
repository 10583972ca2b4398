import { nextPageLink } from './page-headers';

describe('nextPageLink', () => {
  it('keeps the path and every parameter, replacing the cursor', () => {
    const link = nextPageLink('/api/me/tasks?status=pending&q=a%26b&limit=2&cursor=old', 'new.c');
    const url = new URL(link, 'http://host');
    expect(url.pathname).toBe('/api/me/tasks');
    expect([...url.searchParams]).toEqual([
      ['status', 'pending'],
      ['q', 'a&b'],
      ['limit', '2'],
      ['cursor', 'new.c'],
    ]);
  });

  it('adds a cursor to a URL without a query', () => {
    expect(nextPageLink('/api/admin/users', 'c')).toBe('/api/admin/users?cursor=c');
  });
});
