/**
 * The request's own path and query with `cursor` replaced: the next page keeps every filter,
 * the sort and the limit. Relative, so it stays right behind any proxy or path prefix.
 */
export function nextPageLink(requestUrl: string, cursor: string): string {
  const [path, query = ''] = requestUrl.split(/\?(.*)/s, 2);
  const params = new URLSearchParams(query);
  params.set('cursor', cursor);
  return `${path}?${params.toString()}`;
}
