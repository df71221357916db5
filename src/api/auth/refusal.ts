/**
 * A request refused before it reaches a route's work: no key (401), not allowed (403), URL too
 * long (414). api/errors.ts turns it into `{ error, message, details }` with its headers
 * (WWW-Authenticate). Over a quota (429) is a QuotaExceededError, in src/errors.ts.
 */
export type RefusalStatus = 401 | 403 | 414;

const KIND: Record<RefusalStatus, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  414: 'uri_too_long',
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
