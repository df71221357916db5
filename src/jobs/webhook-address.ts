/**
 * Where a webhook may go: http(s) URLs whose host resolves to public unicast addresses only, so
 * a job cannot make the server call into its own network (loopback, private, link-local,
 * carrier-grade NAT, IPv6 unique-local and site-local, and every IPv6 form that carries an
 * IPv4 address: mapped, compatible, NAT64, 6to4, Teredo). Checked at submit (a 400)
 * and again at every connection through `guardedLookup`, which checks the address actually
 * dialled, so a DNS answer that changes after submit (DNS rebinding) is refused too.
 */
import { lookup as dnsLookup } from 'node:dns';
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const cidr = (text: string) => ipaddr.IPv6.parseCIDR(text);
const v4At = (bytes: number[], at: number) => new ipaddr.IPv4(bytes.slice(at, at + 4));
const inverted = (bytes: number[]) => bytes.map((x) => x ^ 0xff);

/**
 * IPv6 ranges whose addresses carry an IPv4 address that a relay, a translator or the kernel
 * dials in their stead: each is as public as the IPv4 address(es) it carries. So
 * `64:ff9b::8.8.8.8` (a DNS64 answer on an IPv6-only network) is allowed and `64:ff9b::10.0.0.1`
 * is not. Teredo carries its server and, inverted, its client (RFC 4380 §4): both must be public.
 */
const CARRIES_IPV4: Array<{ range: [IPv6, number]; name: string; inner: (bytes: number[]) => IPv4[] }> = [
  { range: cidr('::ffff:0:0/96'), name: 'IPv4-mapped', inner: (b) => [v4At(b, 12)] },
  { range: cidr('::ffff:0:0:0/96'), name: 'IPv4-translated (RFC 6145)', inner: (b) => [v4At(b, 12)] },
  { range: cidr('64:ff9b::/96'), name: 'NAT64 (RFC 6052)', inner: (b) => [v4At(b, 12)] },
  { range: cidr('2002::/16'), name: '6to4', inner: (b) => [v4At(b, 2)] },
  { range: cidr('2001::/32'), name: 'Teredo', inner: (b) => [v4At(b, 4), v4At(inverted(b), 12)] },
];

/**
 * Refused whatever they carry. IPv4-compatible `::a.b.c.d` (deprecated by RFC 4291; ::/96 holds
 * `::` and `::1` too): ipaddr.js names none of it, so `::7f00:1` would pass as unicast. The
 * local-use NAT64 prefix (RFC 8215) translates inside the operator's own network.
 */
const REFUSED_IPV6: Array<{ range: [IPv6, number]; name: string }> = [
  { range: cidr('::/96'), name: 'IPv4-compatible (::/96, deprecated)' },
  { range: cidr('64:ff9b:1::/48'), name: 'local-use NAT64 (64:ff9b:1::/48)' },
  { range: cidr('fec0::/10'), name: 'site-local (fec0::/10)' },
];

/** Global unicast: every public IPv6 address is in it (RFC 4291 §2.4); the rest is special or unassigned. */
const GLOBAL_UNICAST = cidr('2000::/3');

/**
 * ipaddr.js reads `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d` (its "deprecated transitional"
 * form); the URL parser and the kernel read it as the IPv4-compatible `::a.b.c.d`, which it is.
 */
function parseAddress(text: string): IPv4 | IPv6 {
  const compatible = /^::(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (compatible && ipaddr.IPv4.isValidFourPartDecimal(compatible[1])) {
    const [a, b, c, d] = ipaddr.IPv4.parse(compatible[1]).octets;
    return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (a << 8) | b, (c << 8) | d]);
  }
  return ipaddr.parse(text);
}

/** ipaddr.js's range names, in words. */
const RANGE_WORDS: Record<string, string> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local (fc00::/7)',
  carrierGradeNat: 'carrier-grade NAT',
};
const words = (range: string) => RANGE_WORDS[range] ?? range;

/** Why `ip` is not a public unicast address (e.g. "loopback", "IPv4-mapped 127.0.0.1: loopback"), or undefined when it is. */
export function notPublicBecause(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  const address = parseAddress(ip);
  if (address.kind() === 'ipv4') {
    const range = address.range();
    return range === 'unicast' ? undefined : words(range);
  }
  const v6 = address as IPv6;
  const range = v6.range();
  if (range === 'loopback' || range === 'unspecified') return range;
  for (const form of CARRIES_IPV4) {
    if (!v6.match(form.range)) continue;
    for (const v4 of form.inner(v6.toByteArray())) {
      if (v4.range() !== 'unicast') return `${form.name} ${v4.toString()}: ${words(v4.range())}`;
    }
    return undefined;
  }
  for (const refused of REFUSED_IPV6) if (v6.match(refused.range)) return refused.name;
  if (range !== 'unicast') return words(range);
  return v6.match(GLOBAL_UNICAST) ? undefined : 'outside global unicast (2000::/3)';
}

/** Only plain public unicast; every special-use range, and every IPv6 form of one, is refused. */
export function isPublicAddress(ip: string): boolean {
  return notPublicBecause(ip) === undefined;
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
  for (const address of addresses) {
    const why = notPublicBecause(address);
    if (why === undefined) continue;
    const what = address === host ? `${host} is` : `host ${host} resolves to ${address},`;
    throw new WebhookAddressError(`${what} not a public address (${why}); set WEBHOOK_ALLOW_PRIVATE=true to allow`);
  }
  return url;
}

/** A `lookup` for http.request that refuses non-public answers, checked on the address dialled. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err, '', 0);
      const bad = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) {
        const why = notPublicBecause(bad.address);
        return callback(new WebhookAddressError(`${hostname} resolves to ${bad.address}, not a public address (${why})`), '', 0);
      }
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
