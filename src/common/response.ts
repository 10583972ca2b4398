import type { FastifyReply, FastifyRequest } from 'fastify';
import { nextPageLink } from './paging/page-headers';
import type { Page } from './paging/keyset';

/**
 * What a handler returns when its answer carries headers: the handler stays free of the raw
 * reply, and one Fastify preSerialization hook (writeResponseHeaders, installed by app.setup)
 * writes the headers and sends the body.
 */
export class WithHeaders<T> {
  constructor(
    readonly body: T,
    readonly headers: Record<string, string>,
    /** Only where the status is not the route's own (an idempotent replay). */
    readonly status?: number,
  ) {}
}

/** 304 Not Modified: the headers of the answer the caller already holds, and no body. */
export const notModifiedAnswer = <T>(headers: Record<string, string>): WithHeaders<T> =>
  new WithHeaders(undefined as T, headers, 304);

/** One page of a list: sent as the JSON array, with X-Total-Count and Link written from it. */
export class PageOf<T> {
  constructor(
    readonly items: T[],
    /** Null past COUNT_LIMIT: no X-Total-Count. */
    readonly total: number | null,
    readonly nextCursor: string | null,
  ) {}

  static of<S, T>(page: Page<S>, map: (item: S) => T): PageOf<T> {
    return new PageOf(page.items.map(map), page.total, page.nextCursor);
  }
}

/** The hook: unwraps WithHeaders and PageOf, writing their headers; anything else goes as is. */
export function writeResponseHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): unknown {
  if (payload instanceof PageOf) {
    if (payload.total !== null) reply.header('x-total-count', String(payload.total));
    if (payload.nextCursor)
      reply.header('link', `<${nextPageLink(request.url, payload.nextCursor)}>; rel="next"`);
    return payload.items;
  }
  if (payload instanceof WithHeaders) {
    if (payload.status !== undefined) reply.status(payload.status);
    // A 304 (If-None-Match) has no body. (An onSend hook dropping it would cost every request.)
    if (payload.status === 304) reply.serializer(() => '');
    reply.headers(payload.headers);
    return payload.body;
  }
  return payload;
}
