import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real webhook receiver for the tests of issue 16: an HTTP server on 127.0.0.1 (a port of its
 * own) that records every request and answers as its script says.
 */

/**
 * How the receiver answers one request: a status code (empty body); a status after a delay;
 * `'hang'`, never (the request stays open until the sender gives up or the receiver closes); or a
 * redirect (302 unless told) to a URL or a path of this receiver.
 */
export type Reply =
  | number
  | 'hang'
  | { status: number; delayMs?: number; headers?: Record<string, string>; body?: string }
  | { redirect: string; status?: 301 | 302 | 303 | 307 | 308 };

/** A script: the replies to the 1st, 2nd, ... request, or a function of the request. */
export type Script = Reply[] | ((request: ReceivedRequest, index: number) => Reply);

export interface ReceivedRequest {
  /** 0 for the first request this receiver got, then 1, ... */
  index: number;
  method: string;
  /** The path and query, as sent. */
  path: string;
  /** Lower-case header names; a repeated header is joined with ", ". */
  headers: Record<string, string>;
  /** The body exactly as received (what a signature covers). */
  rawBody: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: any;
  /** Date.now() when the whole request had arrived. */
  arrivedAt: number;
  /** The status answered, once answered (undefined while it hangs). */
  answered?: number;
  /** Date.now() when the connection closed without an answer (the sender gave up). */
  closedAt?: number;
}

export interface WebhookReceiver {
  port: number;
  /** `http://127.0.0.1:<port>/hook`. */
  url: string;
  /** The URL of another path on this receiver. */
  urlFor: (path: string) => string;
  /** Every request so far, in arrival order. */
  requests: ReceivedRequest[];
  /** TCP connections accepted so far (a refused target must not even be connected to). */
  connections: () => number;
  /** Replaces the script; `then` answers every request past its end (default 200). */
  script: (script: Script, then?: Reply) => void;
  /** Resolves with the requests once at least `n` have arrived; fails after `timeoutMs`. */
  waitFor: (n: number, timeoutMs?: number) => Promise<ReceivedRequest[]>;
  /** Resolves once `check` holds of the requests; fails after `timeoutMs` naming what came. */
  waitUntil: (
    check: (requests: ReceivedRequest[]) => boolean,
    timeoutMs?: number,
    what?: string,
  ) => Promise<ReceivedRequest[]>;
  /** The event types received, in arrival order. */
  types: () => string[];
  /** Stops listening and cuts every open connection (a hanging request included). */
  close: () => Promise<void>;
}

/** A short description of what arrived, for failure messages. */
export function describeRequests(requests: ReceivedRequest[]): string {
  if (requests.length === 0) return 'nothing';
  return requests
    .map(
      (request) =>
        `#${request.index} ${request.method} ${request.path} ${request.body?.type ?? '?'} ` +
        `(id ${request.headers['webhook-id'] ?? '-'}, answered ${request.answered ?? 'never'})`,
    )
    .join('; ');
}

/** Starts a receiver on 127.0.0.1; `script` as in `WebhookReceiver.script`. */
export async function startReceiver(
  script: Script = [],
  then: Reply = 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let current: { script: Script; then: Reply } = { script, then };
  let connections = 0;

  const replyFor = (request: ReceivedRequest): Reply => {
    const { script: steps, then: fallback } = current;
    if (typeof steps === 'function') return steps(request, request.index);
    return request.index < steps.length ? steps[request.index] : fallback;
  };

  const answer = async (request: ReceivedRequest, res: ServerResponse, reply: Reply) => {
    if (reply === 'hang') return;
    if (typeof reply === 'number') reply = { status: reply };
    if ('redirect' in reply) {
      const location = reply.redirect.startsWith('/') ? urlFor(reply.redirect) : reply.redirect;
      res.writeHead(reply.status ?? 302, { location, 'content-length': '0' });
      res.end();
      request.answered = reply.status ?? 302;
      return;
    }
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    const body = reply.body ?? '';
    res.writeHead(reply.status, {
      'content-type': 'text/plain',
      'content-length': String(Buffer.byteLength(body)),
      ...reply.headers,
    });
    res.end(body);
    request.answered = reply.status;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const request: ReceivedRequest = {
        index: requests.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        rawBody,
        body,
        arrivedAt: Date.now(),
      };
      requests.push(request);
      res.on('close', () => {
        if (request.answered === undefined && request.closedAt === undefined) {
          request.closedAt = Date.now();
        }
      });
      void answer(request, res, replyFor(request)).catch(() => res.destroy());
    });
  });
  server.on('connection', () => connections++);
  // Hanging requests must not be cut by the server's own timeouts before the sender's 10 s.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlFor = (path: string) => `http://127.0.0.1:${port}${path}`;

  const waitUntil = async (
    check: (requests: ReceivedRequest[]) => boolean,
    timeoutMs = 15_000,
    what = 'the expected requests',
  ) => {
    const deadline = Date.now() + timeoutMs;
    while (!check(requests)) {
      if (Date.now() > deadline) {
        throw new Error(
          `receiver ${urlFor('')}: no ${what} within ${timeoutMs} ms; got ${describeRequests(requests)}`,
        );
      }
      await sleep(25);
    }
    return [...requests];
  };

  return {
    port,
    url: urlFor('/hook'),
    urlFor,
    requests,
    connections: () => connections,
    script: (script: Script, then: Reply = 200) => {
      current = { script, then };
    },
    waitFor: (n, timeoutMs = 15_000) =>
      waitUntil((all) => all.length >= n, timeoutMs, `${n} request(s)`),
    waitUntil,
    types: () => requests.map((request) => request.body?.type as string),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
