/**
 * How long the HTTP server waits for a client (config: REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS,
 * KEEP_ALIVE_TIMEOUT_MS, CONNECTION_TIMEOUT_MS), as Fastify and Node's http server take them.
 * Fastify's defaults wait for ever for a request's body (requestTimeout 0): a client sending a
 * byte every few seconds held its request, and what it had opened, for as long as it liked.
 * Dataset uploads have a tighter guard of their own (uploads/body-watch.ts).
 */
import type { ServerOptions } from 'node:http';
import type { Config } from '../config.ts';

export function serverTimeouts(config: Config): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  // Node refuses a headers timeout longer than the request's.
  const headersTimeout = Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS);
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout,
      // Node checks both timeouts on this interval (30 s by default): a quarter of the shorter one
      // keeps a timeout within a quarter of its length.
      connectionsCheckingInterval: Math.min(30_000, Math.max(25, Math.floor(headersTimeout / 4))),
    },
  };
}

/**
 * The 408 Node's server raises (ERR_HTTP_REQUEST_TIMEOUT) in words: before the request's headers
 * are in, it is the headers that were late; after, its body.
 */
export function requestTimeoutMessage(config: Config, headersReceived: boolean): string {
  return headersReceived
    ? `request: not received whole within ${config.REQUEST_TIMEOUT_MS} ms (REQUEST_TIMEOUT_MS)`
    : `request headers: not received within ${Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS)} ms (HEADERS_TIMEOUT_MS)`;
}
