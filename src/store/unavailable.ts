/**
 * Waiting out an unreachable PostgreSQL, for the worker's writes. Errors that say so by class
 * and code are recognised at once; for anything else `isReachable` asks the database directly
 * (inside an interactive transaction an adapter error can escape the classification).
 */
import { databaseUnavailable } from './connection-errors.ts';
import type { Db } from './db.ts';

/** An error that says PostgreSQL is unreachable (classified in connection-errors.ts). */
export const isDatabaseUnreachable = (err: unknown): boolean => databaseUnavailable(err) !== null;

/** The cheapest query: it answers when PostgreSQL does (/readyz races it against a deadline). */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}

/** Whether PostgreSQL answers right now. */
export async function isReachable(db: Db): Promise<boolean> {
  try {
    await pingDatabase(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `write` until it succeeds, waiting out an unreachable PostgreSQL with backoff (up to
 * `maxMs` between tries); an error while the database answers is thrown at once.
 */
export async function retryWhileUnreachable<T>(
  db: Db,
  write: () => Promise<T>,
  onRetry: (err: Error, delayMs: number) => void,
  maxMs = 5000,
): Promise<T> {
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
