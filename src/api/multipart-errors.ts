/**
 * Errors of a multipart body as 4xx: busboy (under @fastify/multipart) throws plain Errors for a
 * missing boundary or a body that does not follow it ("Multipart: Boundary not found",
 * "Unexpected end of form"), which would otherwise be 500s.
 */
import { DomainError, InvalidInputError } from '../errors.ts';

/** `err` as the error to answer with: ours and Fastify's 4xx as they are, anything else from parsing a 400. */
export function multipartError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return err;
  return new InvalidInputError('body', `is not valid multipart/form-data: ${(err as Error).message}`);
}
