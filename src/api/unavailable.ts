/**
 * "A dependency is down, try again": the API's 503. Routes throw DependencyUnavailableError
 * where they call Redis (whose client fails at once while disconnected, see connectRedis);
 * database errors are recognised centrally (store/connection-errors.ts). api/errors.ts turns both
 * into `503 { error: "unavailable", message, details: { dependency, reason } }` with Retry-After.
 */
import type { Redis } from 'ioredis';

export type Dependency = 'database' | 'redis';

/**
 * Seconds a client should wait before trying again: a restarted PostgreSQL is used again on
 * the next request, and ioredis reconnects within 2 s (its default backoff caps at 2,000 ms).
 */
export const RETRY_AFTER_SECONDS = 5;

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

/** Why Redis does not answer, from the client's connection state (its errors carry no code). */
export function redisReason(redis: Redis): string {
  const where = `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}`;
  switch (redis.status) {
    case 'ready':
      return `Redis at ${where} did not answer in time`;
    case 'end':
    case 'close':
      return `the connection to Redis at ${where} is closed`;
    default:
      return `Redis at ${where} is not connected (${redis.status}): the connection was lost or refused, and the client keeps trying`;
  }
}

/** Runs a Redis call; any failure or no answer within `ms` is a DependencyUnavailableError. */
export async function withRedis<T>(redis: Redis, call: () => Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailableError('redis', `Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (err) {
    throw err instanceof DependencyUnavailableError ? err : new DependencyUnavailableError('redis', redisReason(redis), { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
