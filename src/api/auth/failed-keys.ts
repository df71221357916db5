/**
 * What keeps wrong API keys cheap, in this process's memory (no Redis or database round trip):
 * - per client address, failed keys are counted in a fixed window; past AUTH_FAILURE_LIMIT the
 *   address is answered 429 without a lookup until the window ends, except for keys this
 *   process has seen valid (a shared NAT or proxy address keeps working for known users);
 * - keys found unknown or revoked are remembered for the window, so a client repeating one
 *   costs one lookup a window (not forever: a key table restored from a backup must be seen).
 * Keys are held by their SHA-256 only, as the database holds them. Each API process counts on
 * its own, so N processes let an address try N × the limit in a window: the limit is on
 * database load, not on guessing (a key is 256 random bits).
 */
import ipaddr from 'ipaddr.js';

/** Addresses, and keys of each kind, held at most: an attacker with many addresses cannot grow memory. */
const MAX_ENTRIES = 10_000;

/** A Set of at most MAX_ENTRIES entries, each kept until `until` (ms); the least recently added goes first. */
class BoundedSet {
  private readonly entries = new Map<string, number>();
  has(key: string, now: number): boolean {
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.entries.delete(key);
    return false;
  }
  add(key: string, until = Infinity): void {
    this.entries.delete(key);
    this.entries.set(key, until);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * The unit an address is counted in: an IPv4 address (IPv4-mapped ones as IPv4), or the /64
 * of an IPv6 one, since one host usually holds a whole /64.
 */
export function clientOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

export class FailedKeys {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();
  private readonly badKeys = new BoundedSet();
  private readonly goodKeys = new BoundedSet();

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may present an unknown key again; 0 when it may now. */
  retryAfter(address: string): number {
    const window = this.windowOf(clientOf(address));
    if (!window || window.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000));
  }

  /** A key that was valid when last looked up: its lookups are not limited. */
  isKnownGood(hash: string): boolean {
    return this.goodKeys.has(hash, this.now());
  }

  /** A key looked up within the window and found unknown or revoked: refused without another lookup. */
  isKnownBad(hash: string): boolean {
    return this.badKeys.has(hash, this.now());
  }

  succeeded(hash: string): void {
    this.goodKeys.add(hash);
  }

  /** `hash` undefined: a key not even shaped like one of ours (no lookup was made). */
  failed(address: string, hash?: string): void {
    if (hash !== undefined) {
      this.goodKeys.delete(hash); // revoked since
      this.badKeys.add(hash, this.now() + this.windowSeconds * 1000);
    }
    const client = clientOf(address);
    const window = this.windowOf(client) ?? { failures: 0, endsAt: this.now() + this.windowSeconds * 1000 };
    window.failures++;
    this.windows.delete(client); // re-inserted last: the oldest windows are evicted first
    this.windows.set(client, window);
    if (this.windows.size > MAX_ENTRIES) this.windows.delete(this.windows.keys().next().value as string);
  }

  private windowOf(client: string) {
    const window = this.windows.get(client);
    if (window && window.endsAt <= this.now()) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }
}
