import type { TestApp } from './test-app';

type Headers = Record<string, string>;

/** The rel="next" URL of a list response's Link header, if it has one. */
export const nextLink = (headers: Headers): string | undefined =>
  /<([^>]+)>; rel="next"/.exec(headers.link ?? '')?.[1];

/** The cursor parameter of a response's next link (which must exist). */
export function cursorOf(headers: Headers): string {
  const link = nextLink(headers);
  expect(link).toBeDefined();
  return new URL(link!, 'http://x').searchParams.get('cursor')!;
}

/** The response's next link is the requested `url` (path and every parameter) plus a cursor. */
export function expectNextLinkKeeps(headers: Headers, url: string) {
  const parts = (link: string) => {
    const parsed = new URL(link, 'http://x');
    return { path: parsed.pathname, params: Object.fromEntries(parsed.searchParams) };
  };
  const requested = parts(url);
  expect(parts(nextLink(headers) ?? 'missing:')).toEqual({
    ...requested,
    params: { ...requested.params, cursor: expect.any(String) },
  });
}

/** The cursor with the last characters of its MAC changed: well-formed, but not ours. */
export function tamperedMac(cursor: string): string {
  const [payload, mac] = cursor.split('.');
  return `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
}

export const ids = (rows: { id: string }[]) => rows.map((row) => row.id);
export const titles = (rows: { title: string }[]) => rows.map((row) => row.title);

export interface Walk {
  /** Every row of every page, in order. */
  rows: any[];
  ids: string[];
  /** The distinct X-Total-Count values seen. */
  totals: string[];
  pages: number;
}

/**
 * Follows rel="next" from `url` to the last page (each must be 200); `betweenPages` runs after
 * each page, before the next is fetched. More than 200 pages fails: a walk that never ends.
 */
export async function allPages(
  t: TestApp,
  auth: Record<string, string>,
  url: string,
  betweenPages: () => Promise<unknown> = async () => {},
): Promise<Walk> {
  const rows: any[] = [];
  const totals = new Set<string>();
  let pages = 0;
  for (let next: string | undefined = url; next; pages++) {
    if (pages === 200) throw new Error(`allPages: more than 200 pages from ${url}`);
    const response: { body: any[]; headers: Headers } = await t
      .http()
      .get(next)
      .set(auth)
      .expect(200);
    rows.push(...response.body);
    totals.add(response.headers['x-total-count']);
    await betweenPages();
    next = nextLink(response.headers);
  }
  return { rows, ids: ids(rows), totals: [...totals], pages };
}

/** GET `url` is 200 with no rows and X-Total-Count 0. */
export async function expectEmptyList(t: TestApp, auth: Record<string, string>, url: string) {
  const response = await t.http().get(url).set(auth).expect(200);
  expect(response.body).toEqual([]);
  expect(response.headers['x-total-count']).toBe('0');
}
