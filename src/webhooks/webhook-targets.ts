import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What a webhook may point at (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE, NODE_ENV). */
export interface TargetRules {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** Why a target is refused, worded for a 400 at create/update and for a delivery's error. */
export class TargetRefused extends Error {}

/** A host that does not resolve now: refused at create or update, retried at delivery (DNS can fail for a while). */
export class TargetUnresolved extends TargetRefused {}

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Only the public internet: ipaddr.js names every other range (loopback, private, ...). */
const isPublic = (address: string) => {
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast';
};

/** The URL's shape: http(s), no credentials, production https unless WEBHOOK_ALLOW_HTTP. */
export function checkUrl(raw: string, rules: TargetRules): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TargetRefused('url must be an http or https URL');
  if (url.protocol === 'http:' && !rules.allowHttp)
    throw new TargetRefused('url must be https (plain http needs WEBHOOK_ALLOW_HTTP=true)');
  if (url.username || url.password)
    throw new TargetRefused('url must not carry credentials (user:password@)');
  return url;
}

/**
 * The addresses the URL's host stands for, all of them public unless WEBHOOK_ALLOW_PRIVATE:
 * checked at create and update, and again at every delivery, whose connection then goes to the
 * address checked here (so a name that resolves elsewhere after the check cannot redirect it).
 */
export async function resolveTarget(url: URL, rules: TargetRules): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    try {
      addresses = (await lookup(host, { all: true })) as ResolvedAddress[];
    } catch {
      throw new TargetUnresolved(`url's host ${host} does not resolve`);
    }
  }
  if (!rules.allowPrivate) {
    const inner = addresses.find(({ address }) => !isPublic(address));
    if (inner)
      throw new TargetRefused(
        `url's host ${host} is or resolves to a non-public address (${inner.address}): loopback, private, link-local and multicast targets need WEBHOOK_ALLOW_PRIVATE=true`,
      );
  }
  return addresses[0];
}
