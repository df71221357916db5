/**
 * Every error leaves the API as `{ error, message, details? }`: a domain error (src/errors.ts)
 * with its status, a quota exceeded a 429 with Retry-After, a refusal of the guards with its
 * status, Fastify's own 4xx (schema validation, body too large, bad JSON) translated, a
 * dependency that is down (PostgreSQL or Redis) a 503 with Retry-After, and anything else a
 * logged 500 with no internals in the body.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import {
  ConflictError,
  DependencyUnavailableError,
  DomainError,
  InvalidInputError,
  NotFoundError,
  QuotaExceededError,
  RequestTimeoutError,
  ShuttingDownError,
  TooLargeError,
  UnsupportedFormatError,
} from '../errors.ts';
import { databaseUnavailable } from '../store/connection-errors.ts';
import { Refusal } from './auth/refusal.ts';

/**
 * Seconds a client should wait before trying again after a 503: a restarted PostgreSQL is used
 * again on the next request, and ioredis reconnects within 2 s (its default backoff caps at 2,000 ms).
 */
export const RETRY_AFTER_SECONDS = 5;

/** The one place where a domain error becomes an HTTP status. */
type DomainErrorClass = abstract new (field: string, reason: string) => DomainError;
const STATUS = new Map<DomainErrorClass, number>([
  [InvalidInputError, 400],
  [NotFoundError, 404],
  [RequestTimeoutError, 408],
  [ConflictError, 409],
  [TooLargeError, 413],
  [UnsupportedFormatError, 415],
]);
const statusOf = (err: DomainError): number => STATUS.get(err.constructor as DomainErrorClass) ?? 400;

const KIND: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** A multipart upload with more parts, files or fields than the route takes: the request is malformed (400), not too large. */
const MULTIPART_COUNT_LIMITS: Record<string, string> = {
  FST_PARTS_LIMIT: 'more parts than this upload takes',
  FST_FILES_LIMIT: 'more files than this upload takes',
  FST_FIELDS_LIMIT: 'more fields than this upload takes',
};

/** A bound in the words of the spec parsers' messages (spec/fields.ts), not ajv's `<=`. */
const BOUND_WORDS: Record<string, string> = {
  minimum: 'at least',
  exclusiveMinimum: 'greater than',
  maximum: 'at most',
  exclusiveMaximum: 'less than',
};

/** "body/training/epochs must be >= 1" → "training.epochs: must be at least 1" */
function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const context = err.validationContext ?? 'body';
  const segments = first.instancePath.split('/').filter(Boolean);
  const params = first.params;
  if (first.keyword === 'additionalProperties') segments.push(String(params.additionalProperty));
  if (first.keyword === 'required') segments.push(String(params.missingProperty));
  const field = segments.length > 0 ? segments.join('.') : context;
  const reason =
    first.keyword === 'additionalProperties'
      ? 'unknown field'
      : first.keyword === 'required'
        ? 'is required'
        : first.keyword in BOUND_WORDS && typeof params.limit === 'number'
          ? `must be ${BOUND_WORDS[first.keyword]} ${params.limit}`
          : (first.message ?? 'is invalid');
  return `${context === 'body' ? '' : `${context} `}${field}: ${reason}`;
}

/** The dependency `err` says is down, by class and code (never by message text), or null. */
function unavailable(err: unknown): DependencyUnavailableError | null {
  if (err instanceof DependencyUnavailableError) return err;
  const reason = databaseUnavailable(err);
  return reason === null ? null : new DependencyUnavailableError('database', reason, { cause: err });
}

export function sendUnavailable(reply: FastifyReply, err: DependencyUnavailableError): FastifyReply {
  return reply
    .status(503)
    .header('retry-after', String(RETRY_AFTER_SECONDS))
    .send({
      error: 'unavailable',
      message: err.message,
      details: { dependency: err.dependency, reason: err.reason },
    });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | InvalidInputError, request, reply) => {
    if (err instanceof Refusal) {
      return reply.status(err.statusCode).headers(err.headers).send({ error: err.kind, message: err.message, details: err.details });
    }
    if (err instanceof QuotaExceededError) {
      return reply
        .status(429)
        .header('retry-after', String(err.retryAfterSeconds))
        .send({ error: KIND[429], message: err.message, details: { quota: err.quota, limit: err.limit } });
    }
    if (err instanceof ShuttingDownError) {
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ error: KIND[503], message: err.message, details: { reason: 'shutting_down' } });
    }
    const down = unavailable(err);
    if (down) {
      request.log.warn({ dependency: down.dependency, reason: down.reason }, 'dependency unavailable');
      return sendUnavailable(reply, down);
    }
    if (err instanceof DomainError) {
      const status = statusOf(err);
      return reply.status(status).send({ error: KIND[status], message: err.message, details: { field: err.field, ...err.details } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: 'invalid_request', message: validationMessage(err), details: { errors: err.validation } });
    }
    if (err.code in MULTIPART_COUNT_LIMITS) {
      return reply
        .status(400)
        .send({ error: 'invalid_request', message: `body: ${MULTIPART_COUNT_LIMITS[err.code]}`, details: { code: err.code } });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `body: larger than the limit of ${app.initialConfig.bodyLimit} bytes`
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `content-type: ${request.headers['content-type'] ?? 'none'} is not accepted here (see /docs for what this route takes)`
            : err.message;
      return reply.status(status).send({ error: KIND[status] ?? 'client_error', message, details: { code: err.code } });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(status).send({
      error: KIND[status] ?? 'internal_error',
      message: status === 503 ? err.message : 'internal error; see the service log',
      details: {},
    });
  });
  app.setNotFoundHandler((request, reply) => {
    // The URL is not echoed back: it is the caller's text, and may be megabytes or markup.
    reply.status(404).send({ error: 'not_found', message: `no route for this ${request.method} request (see /openapi.json)`, details: {} });
  });
}
