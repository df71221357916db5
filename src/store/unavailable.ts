/**
 * Telling "PostgreSQL is unreachable" from "this statement is wrong". The first is worth waiting
 * out (retry, answer 503); the second is a bug to report. Prisma's adapter says so in an error
 * code or a driver-adapter cause; a connection that pg itself loses mid-query arrives as a plain
 * Error with no code at all, so `isReachable` asks the database directly when in doubt.
 */
import type { Db } from './db.ts';

/** Prisma codes for "could not reach / lost the server / pool timed out". */
const PRISMA_UNREACHABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Driver-adapter causes of the same. */
const ADAPTER_UNREACHABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist']);
/** Node socket codes and PostgreSQL SQLSTATEs: connection exceptions (08…) and shutdowns (57P0…). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const SQLSTATE_UNREACHABLE = /^(08|57P0[1-3])/;

export function isDatabaseUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, meta } = err as Error & { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  if (typeof code === 'string' && (PRISMA_UNREACHABLE.has(code) || SOCKET_CODES.has(code) || SQLSTATE_UNREACHABLE.test(code))) return true;
  const kind = meta?.driverAdapterError?.cause?.kind;
  if (kind && ADAPTER_UNREACHABLE.has(kind)) return true;
  return err.cause !== undefined && err.cause !== err && isDatabaseUnreachable(err.cause);
}

/** Whether PostgreSQL answers right now. */
export async function isReachable(db: Db): Promise<boolean> {
  try {
    await db.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `write` until it succeeds, waiting out an unreachable PostgreSQL with backoff (up to
 * `maxMs` between tries); an error while the database answers is thrown at once.
 */
export async function retryWhileUnreachable<T>(db: Db, write: () => Promise<T>, onRetry: (err: Error, delayMs: number) => void, maxMs = 5000): Promise<T> {
  for (let delay = 100; ; delay = Math.min(delay * 2, maxMs)) {
    try {
      return await write();
    } catch (err) {
      if (!isDatabaseUnreachable(err) && (await isReachable(db))) throw err;
      onRetry(err as Error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
