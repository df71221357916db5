/**
 * Where a webhook may go: http(s) URLs whose host resolves to public unicast addresses only, so
 * a job cannot make the server call into its own network (loopback, private, link-local,
 * carrier-grade NAT, IPv6 unique-local, IPv4 inside IPv6 forms, …). Checked at submit (a 400)
 * and again at every connection through `guardedLookup`, which checks the address actually
 * dialled, so a DNS answer that changes after submit (DNS rebinding) is refused too.
 */
import { lookup as dnsLookup } from 'node:dns';
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** ipaddr.js names ranges; only plain unicast is a public address (everything else is special-use). */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return ipaddr.process(ip).range() === 'unicast';
}

export class WebhookAddressError extends Error {}

/** Parses and checks a webhook URL; throws WebhookAddressError saying why it is refused. */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookAddressError(`must be http or https, not ${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw new WebhookAddressError('must not carry a user name or password');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw new WebhookAddressError(`host ${host} does not resolve`);
  }
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused) {
    const what = refused === host ? `${host} is` : `host ${host} resolves to ${refused},`;
    throw new WebhookAddressError(`${what} a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)`);
  }
  return url;
}

/** A `lookup` for http.request that refuses non-public answers, checked on the address dialled. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err, '', 0);
      const bad = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new WebhookAddressError(`${hostname} resolves to ${bad.address}, not a public address`), '', 0);
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
