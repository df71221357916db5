/**
 * What keeps a web page in the user's browser from using the service (pure checks, no HTTP):
 * - DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 sends
 *   `Host: evil.example`; bound to loopback, only loopback names (and ALLOWED_HOSTS) are served.
 * - Cross-site requests: a page can POST (a "simple" text/plain or body-less request needs no
 *   CORS preflight) though it cannot read the answer; browsers name the page in `Origin`, so
 *   a state-changing request is refused unless its Origin is the service's own or allowed.
 */
import { isIP } from 'node:net';

/** Whether an address or name to bind to is loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** "example.com:3000" → "example.com", "[::1]:3000" → "::1". */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A Host header a loopback-bound service answers: a loopback name, *.localhost, or an allowed host. */
export function hostAllowed(hostHeader: string | undefined, allowedHosts: readonly string[]): boolean {
  if (hostHeader === undefined) return true; // HTTP/1.0 without Host: no browser sends that
  const name = hostName(hostHeader);
  return isLoopbackAddress(name) || name.endsWith('.localhost') || allowedHosts.some((a) => a.toLowerCase() === name);
}

export const STATE_CHANGING = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/**
 * Whether a state-changing request may come from where its browser says it comes from: the
 * service's own pages (the Origin's host is the Host the request was sent to; the scheme is
 * not compared, since a TLS proxy in front changes it) or an allowed origin. No Origin and no
 * Sec-Fetch-Site: not a browser page (curl, a client library). `Origin: null` (sandboxed
 * frames, file: pages) is never allowed.
 */
export function originAllowed(
  headers: { origin?: string; 'sec-fetch-site'?: string; host?: string },
  allowedOrigins: readonly string[],
): boolean {
  const origin = headers.origin;
  if (origin === undefined) {
    const site = headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  const o = origin.toLowerCase();
  if (allowedOrigins.some((a) => a.toLowerCase() === o)) return true;
  let host: string;
  try {
    host = new URL(o).host;
  } catch {
    return false; // "null" and anything else that is not an origin
  }
  return host !== '' && headers.host !== undefined && host === headers.host.toLowerCase();
}
