/**
 * Every error leaves the API as `{ error, message, details? }`: our InvalidInputError with its
 * status, Fastify's own 4xx (schema validation, body too large, bad JSON) translated, a
 * dependency that is down (PostgreSQL or Redis) a 503 with Retry-After, and anything else a
 * logged 500 with no internals in the body.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { InvalidInputError } from '../errors.ts';
import { databaseUnavailable } from '../store/connection-errors.ts';
import { DependencyUnavailableError, RETRY_AFTER_SECONDS } from './unavailable.ts';

const KIND: Record<number, string> = {
  400: 'invalid_request', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large',
  415: 'unsupported_media_type', 422: 'unprocessable', 429: 'too_many_requests', 503: 'unavailable',
};

/** "body/training/epochs must be >= 1" → "training.epochs: must be >= 1" */
function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const context = err.validationContext ?? 'body';
  const segments = first.instancePath.split('/').filter(Boolean);
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') segments.push(String(params.additionalProperty));
  if (first.keyword === 'required') segments.push(String(params.missingProperty));
  const field = segments.length > 0 ? segments.join('.') : context;
  const reason = first.keyword === 'additionalProperties' ? 'unknown field'
    : first.keyword === 'required' ? 'is required'
    : first.message ?? 'is invalid';
  return `${context === 'body' ? '' : `${context} `}${field}: ${reason}`;
}

/** The dependency `err` says is down, by class and code (never by message text), or null. */
function unavailable(err: unknown): DependencyUnavailableError | null {
  if (err instanceof DependencyUnavailableError) return err;
  const reason = databaseUnavailable(err);
  return reason === null ? null : new DependencyUnavailableError('database', reason, { cause: err });
}

export function sendUnavailable(reply: FastifyReply, err: DependencyUnavailableError): FastifyReply {
  return reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({
    error: 'unavailable', message: err.message, details: { dependency: err.dependency, reason: err.reason },
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | InvalidInputError, request, reply) => {
    const down = unavailable(err);
    if (down) {
      request.log.warn({ dependency: down.dependency, reason: down.reason }, 'dependency unavailable');
      return sendUnavailable(reply, down);
    }
    if (err instanceof InvalidInputError) {
      return reply.status(err.statusCode).send({ error: KIND[err.statusCode], message: err.message, details: { field: err.field, ...err.details } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: 'invalid_request', message: validationMessage(err), details: { errors: err.validation } });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `body: larger than the limit of ${app.initialConfig.bodyLimit} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `content-type: ${request.headers['content-type'] ?? 'none'} is not accepted here (see /docs for what this route takes)`
          : err.message;
      return reply.status(status).send({ error: KIND[status] ?? 'client_error', message });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(status).send({ error: KIND[status] ?? 'internal_error', message: status === 503 ? err.message : 'internal error; see the service log' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
