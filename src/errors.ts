/**
 * Domain errors: what the user asked for cannot be done, and why. Thrown anywhere (spec parsing,
 * dataset and model validation, the jobs and comparisons use cases), they say nothing of HTTP:
 * `api/errors.ts` maps each class to its status in one place, with the body
 * `{ error, message, details }`, and a job that fails with one is not retried. `field` is the
 * dotted path of the offending input (`optimizer.beta1`, `model.layers[2].units`) so the message
 * can name it.
 */
export abstract class DomainError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }

  /** The same error naming another field (a comparison names its variant's field). */
  withField(field: string): DomainError {
    const Self = this.constructor as new (field: string, reason: string, details?: Record<string, unknown>) => DomainError;
    return new Self(field, this.reason, this.details);
  }
}

/** The input is malformed or out of range. */
export class InvalidInputError extends DomainError {
  override readonly name = 'InvalidInputError';
}

/** The resource named does not exist (or belongs to another tenant: the same answer). */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
}

/** The request is valid but the resource's state does not allow it (finished, in use, a reused key). */
export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
}

/** The input is larger than a limit. */
export class TooLargeError extends DomainError {
  override readonly name = 'TooLargeError';
}

/** The input comes in a form (content type) this operation does not take. */
export class UnsupportedFormatError extends DomainError {
  override readonly name = 'UnsupportedFormatError';
}

/** The client sent its request too slowly (a body that stalled or crawled): it was cut off. */
export class RequestTimeoutError extends DomainError {
  override readonly name = 'RequestTimeoutError';
}

/**
 * This process is shutting down: what was under way was stopped, and the client may send it
 * again (to another process, or to this one restarted). The API's 503 with Retry-After.
 */
export class ShuttingDownError extends Error {
  override readonly name = 'ShuttingDownError';
}

/**
 * Over one of a tenant's quotas (jobs at once, stored bytes, requests a second): the request is
 * fine but cannot be served now. The message names the quota and its value; `retryAfterSeconds`
 * is a fair guess of when it could be (the API's 429 with Retry-After).
 */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(
    readonly quota: string,
    readonly limit: number,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`${message} (${quota}=${limit})`);
  }
}

/** Shorthand for the common case: throw an invalid-input error naming `field`. */
export function invalid(field: string, reason: string, details?: Record<string, unknown>): never {
  throw new InvalidInputError(field, reason, details);
}

export type Dependency = 'database' | 'redis';

/**
 * A dependency is down (PostgreSQL or Redis): not the user's fault, and worth trying again.
 * The API answers it with a 503 and Retry-After (api/errors.ts); database errors are also
 * recognised there by their codes (store/connection-errors.ts).
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: Dependency,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${dependency === 'database' ? 'the database (PostgreSQL)' : 'the job queue (Redis)'} is unavailable: ${reason}; try again`,
      options,
    );
  }
}
