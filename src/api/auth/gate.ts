/**
 * Who a request acts as. Like Redis's protected mode: with AUTH=auto and no key ever created,
 * a loopback-bound service is open for its one local user; once any key exists (revoked ones
 * count), every route but the public ones needs one. Bound elsewhere with no key, it refuses
 * to start.
 */
import { DASHBOARD_PAGES } from '../dashboard.ts';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { QuotaExceededError } from '../../errors.ts';
import { anyKeyExists, hashKey, KEY_PREFIX, touchKey, verifyKeyHash, type KeyRow } from '../../store/keys.ts';
import { FailedKeys } from './failed-keys.ts';
import { isLoopbackAddress } from './browser-guard.ts';
import { OPEN_PRINCIPAL, type Principal } from './principal.ts';
import { Refusal } from './refusal.ts';

/** A caller of a public route without a (valid) key: sees no tenant's data, is no admin. */
const ANONYMOUS: Principal = Object.freeze({ tenant: '', role: 'user', keyId: null });

const CHALLENGE = 'Bearer realm="trainer"';
export const CREATE_KEY_HINT = 'npm run --silent keys -- create NAME --admin';

/** The dashboard's pages and assets hold no data: the page itself asks for a key when one is needed. */
const DASHBOARD_ROUTES = new Set<string>([...DASHBOARD_PAGES, '/assets/*']);

/** Routes anyone may call: probes, the API's own description, the dashboard's page. */
export function isPublicRoute(url: string | undefined): boolean {
  if (url === undefined) return false;
  return (
    url === '/healthz' ||
    url === '/readyz' ||
    url === '/openapi.json' ||
    url === '/docs' ||
    url.startsWith('/docs/') ||
    DASHBOARD_ROUTES.has(url)
  );
}

export class AuthGate {
  /** Latched: once a key exists, the service never goes back to open mode in this process. */
  private keysRequired = false;
  private readonly failedKeys: FailedKeys;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {
    this.failedKeys = new FailedKeys(config.AUTH_FAILURE_LIMIT, config.AUTH_FAILURE_WINDOW_S);
  }

  /** Decides the start-up mode and says it in the log; throws when starting would be unsafe. */
  async start(log: FastifyBaseLogger): Promise<void> {
    if (this.config.AUTH === 'off') {
      log.warn('AUTH=off: no API key is checked; whoever reaches the port acts as admin of tenant "default"');
      return;
    }
    this.keysRequired = await anyKeyExists(this.db);
    if (this.keysRequired) {
      log.info('API keys required (Authorization: Bearer <key>)');
    } else if (isLoopbackAddress(this.config.HOST)) {
      log.warn(
        `no API key exists and HOST=${this.config.HOST} is loopback: open mode for one local user (tenant "default"); create ` +
          `a key (${CREATE_KEY_HINT}) to require keys`,
      );
    } else {
      throw new Error(
        `HOST=${this.config.HOST} is not a loopback address and no API key exists: create an admin key first ` +
          `(${CREATE_KEY_HINT}), bind to 127.0.0.1, or set AUTH=off to serve everyone without keys`,
      );
    }
  }

  /** Call after creating a key in this process: no request may act open from then on. */
  keyCreated(): void {
    this.keysRequired = true;
  }

  private async required(): Promise<boolean> {
    if (this.config.AUTH === 'off') return false;
    if (!this.keysRequired) this.keysRequired = await anyKeyExists(this.db);
    return this.keysRequired;
  }

  async principalOf(request: FastifyRequest): Promise<Principal> {
    if (this.config.AUTH === 'off') return OPEN_PRINCIPAL;
    const isPublic = isPublicRoute(request.routeOptions.url);
    // "Bearer " with nothing after it is no key: the README's examples send
    // `Bearer $KEY`, and in open local mode KEY is empty.
    const header = /^bearer\s*$/i.test(request.headers.authorization ?? '') ? undefined : request.headers.authorization;
    if (header === undefined) {
      // Public routes must answer while PostgreSQL is down (probes): no lookup can fail them. The
      // mode last read stands in (open mode stays open, so a local user still reads why).
      if (isPublic) return (await this.required().catch(() => this.keysRequired)) ? ANONYMOUS : OPEN_PRINCIPAL;
      if (await this.required())
        throw new Refusal(
          401,
          'authorization: an API key is required (Authorization: Bearer <key>)',
          {},
          { 'www-authenticate': CHALLENGE },
        );
      return OPEN_PRINCIPAL;
    }
    const key = await this.keyOf(header, request.ip);
    if (typeof key === 'number') {
      // Probes and the docs keep answering a blocked address, as to anyone without a key.
      if (isPublic) return ANONYMOUS;
      throw new QuotaExceededError(
        'AUTH_FAILURE_LIMIT',
        this.failedKeys.limit,
        `authorization: too many wrong API keys from this address within ${this.failedKeys.windowSeconds} s; ` + `try again in ${key} s`,
        key,
      );
    }
    if (!key) {
      if (isPublic) return ANONYMOUS;
      throw new Refusal(
        401,
        'authorization: the API key is unknown or revoked',
        {},
        { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
      );
    }
    this.recordUse(key.id, request);
    return { tenant: key.tenant, role: key.role, keyId: key.id };
  }

  /** Last-used times are minutes apart (store/keys.ts): this process skips the write within one. */
  private readonly lastTouched = new Map<string, number>();
  private recordUse(keyId: string, request: FastifyRequest): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(keyId) ?? 0) < 60_000) return;
    this.lastTouched.set(keyId, now);
    touchKey(this.db, keyId).catch((err) => request.log.warn({ err, keyId }, 'recording a key use failed'));
  }

  /**
   * The key of an Authorization header; null when it is wrong; a number (seconds to wait) when
   * `address` sent too many wrong ones lately and this key is not known to be good (failed-keys.ts).
   */
  private async keyOf(header: string, address: string): Promise<KeyRow | null | number> {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const presented = match?.[1];
    const shaped = presented !== undefined && presented.startsWith(KEY_PREFIX) && presented.length <= 100;
    const hash = shaped ? hashKey(presented) : undefined;
    const wait = this.failedKeys.retryAfter(address);
    if (wait > 0 && !(hash !== undefined && this.failedKeys.isKnownGood(hash))) return wait;
    // Not shaped like one of our keys, or already looked up and found wrong: refused without a lookup.
    if (hash === undefined || this.failedKeys.isKnownBad(hash)) {
      this.failedKeys.failed(address);
      return null;
    }
    const key = await verifyKeyHash(this.db, hash);
    if (key) this.failedKeys.succeeded(hash);
    else this.failedKeys.failed(address, hash);
    return key;
  }
}

/** 403 unless the route is open to everyone or the principal has the role it needs. */
export function checkAccess(request: FastifyRequest): void {
  if (request.routeOptions.config.access === 'admin' && request.principal.role !== 'admin') {
    throw new Refusal(403, 'authorization: this route needs an admin key');
  }
}
