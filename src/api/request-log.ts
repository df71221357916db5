/**
 * What a request's log lines say about it. Fastify's own `req` serializer logs the URL as sent,
 * query string and all, so a key sent as `?api_key=trn_…` (or any secret in a query value)
 * would sit in the log verbatim. This one logs the path and the query's names only, each value
 * replaced: enough to tell requests apart, nothing a reader could reuse.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

export const REDACTED = '[redacted]';
/** A query name shaped like a parameter is kept; a longer or odder one may itself be a secret (`?trn_…`). */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;

/** `/v1/jobs?api_key=trn_x&limit=5` → `/v1/jobs?api_key=[redacted]&limit=[redacted]`. */
export function redactedUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url.slice(at + 1);
  if (query === '') return url.slice(0, at);
  const names = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return PLAIN_NAME.test(name) ? `${name}=${REDACTED}` : REDACTED;
  });
  return `${url.slice(0, at)}?${names.join('&')}`;
}

/** Fastify's request serializer, with the URL redacted. */
export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactedUrl(request.url ?? ''),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** The logger handed to Fastify: its serializers win over Fastify's defaults (fastify/lib/logger-factory.js). */
export function withRedactedRequests(logger: Logger): FastifyBaseLogger {
  return logger.child({}, { serializers: { req: serializeRequest } });
}
