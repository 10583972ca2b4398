import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as setTimer } from 'node:timers';
import { Webhook } from 'standardwebhooks';
import {
  resolveTarget,
  TargetRefused,
  TargetUnresolved,
  type TargetRules,
} from './webhook-targets';

/** A delivery attempt's answer must come within this, or it failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** The outcome of one attempt: a status when the receiver answered, else an error. */
export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** The target itself is refused (a non-public address): retrying cannot help. */
  refused?: boolean;
}

const timedOut = (): AttemptResult => ({
  ok: false,
  status: null,
  error: `timed out: no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`,
});

/** What `work` resolves to, or undefined once `ms` have passed first. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => (timer = setTimer(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One POST of a delivery: the Standard Webhooks headers and signature (by the `standardwebhooks`
 * library), the connection pinned to the address the target rules just checked, no redirects
 * followed (a 3xx is a failure), 10 seconds for the whole answer, the host's lookup included.
 */
export async function sendDelivery(
  target: string,
  secret: string,
  eventId: string,
  body: string,
  rules: TargetRules,
): Promise<AttemptResult> {
  const url = new URL(target);
  const startedAt = Date.now();
  let pinned;
  try {
    // Within the 10 s too: the claim on this attempt (20 s) must outlast it, DNS included.
    pinned = await within(resolveTarget(url, rules), DELIVERY_TIMEOUT_MS);
    if (!pinned) return timedOut();
  } catch (error) {
    if (error instanceof TargetRefused)
      return {
        ok: false,
        status: null,
        error: error.message,
        refused: !(error instanceof TargetUnresolved),
      };
    throw error;
  }
  const timestamp = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'task-api-webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, timestamp, body),
  };
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        pinned,
      ]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    const done = (result: AttemptResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    const outgoing = send(url, { method: 'POST', headers, lookup }, (response: IncomingMessage) => {
      // The body is not kept: the status is the answer. Draining it frees the socket.
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        done({ ok, status, error: ok ? null : `the receiver answered ${status}` });
      });
      response.on('error', (error) => done({ ok: false, status: null, error: error.message }));
    });
    const timer = setTimeout(
      () => {
        outgoing.destroy();
        done(timedOut());
      },
      DELIVERY_TIMEOUT_MS - (Date.now() - startedAt),
    );
    outgoing.on('error', (error) =>
      done({ ok: false, status: null, error: `could not deliver: ${error.message}` }),
    );
    outgoing.end(body);
  });
}
