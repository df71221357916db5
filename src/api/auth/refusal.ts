/**
 * A request refused before it reaches a route's work: no key (401), not allowed (403), URL too
 * long (414), over a quota (429). api/errors.ts turns it into `{ error, message, details }`
 * with its headers (WWW-Authenticate, Retry-After).
 */
export type RefusalStatus = 401 | 403 | 414 | 429;

const KIND: Record<RefusalStatus, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  414: 'uri_too_long',
  429: 'too_many_requests',
};

export class Refusal extends Error {
  override readonly name = 'Refusal';
  readonly kind: string;
  constructor(
    readonly statusCode: RefusalStatus,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.kind = KIND[statusCode];
  }
}

/** Over a quota: 429, Retry-After, and a message naming the quota and its value. */
export function quotaExceeded(quota: string, limit: number, message: string, retryAfterSeconds: number): Refusal {
  return new Refusal(429, `${message} (${quota}=${limit})`, { quota, limit }, { 'retry-after': String(retryAfterSeconds) });
}
