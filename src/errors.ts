/**
 * The one error type for "the user asked for something invalid".
 *
 * Thrown anywhere (spec parsing, dataset/model validation, the API), it becomes an HTTP 4xx
 * with the body `{ error, message, details }` in `api/errors.ts`, and a job that fails
 * with it is not retried. `field` is the dotted path of the offending input
 * (`optimizer.beta1`, `model.layers[2].units`) so the message can name it.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly statusCode: 400 | 404 | 409 | 413 | 415 | 422 = 400,
    readonly details?: Record<string, unknown>,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }
}

/** Shorthand for the common case: throw a 400 naming `field`. */
export function invalid(field: string, reason: string, details?: Record<string, unknown>): never {
  throw new InvalidInputError(field, reason, 400, details);
}
