/** The Prisma client, on the pg driver adapter (no native query engine needed). */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.ts';
import { DatabaseConnectionError } from './connection-errors.ts';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  // Fail fast instead of queueing forever when PostgreSQL is down: /readyz must turn red.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000 });
  reportConnectionErrors(pool, (err) => err.code === undefined);
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

/**
 * A pool of its own for pg used directly (dataset uploads write their slices through it): at most
 * `max` connections, each held for one statement. A connection PostgreSQL drops while idle is
 * reported to `onIdleError` and replaced, never an unhandled 'error' that ends the process; one
 * dropped under a statement, or a server that refuses or does not answer, fails that statement
 * with a DatabaseConnectionError (a 503 for the API). Here no driver adapter classifies a refused
 * connection (ECONNREFUSED and the like, which carry a syscall), so the pool does.
 */
export function createPool(databaseUrl: string, max: number, onIdleError: (err: Error) => void): pg.Pool {
  // A statement that hangs (PostgreSQL stuck, not down) fails after a minute rather than hold its upload, and a shutdown, for ever.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 10_000, query_timeout: 60_000, keepAlive: true });
  pool.on('error', onIdleError);
  reportConnectionErrors(pool, (err) => err.code === undefined || typeof err.syscall === 'string');
  return pool;
}

/**
 * pg and pg-pool report a connection the server dropped ("Connection terminated unexpectedly"),
 * a connect that timed out and a full pool as plain Errors with no code, which the driver adapter
 * passes on untouched: nothing but the message would tell them from a bug. Every error pg raises
 * from a statement carries a code (SQLSTATE, or a socket's ECONNREFUSED…), so a code-less one
 * from the pool is the connection's: it leaves here as a DatabaseConnectionError. The adapter
 * calls only the promise forms of query() and connect().
 */
function reportConnectionErrors(pool: pg.Pool, isConnectionError: (err: { code?: unknown; syscall?: unknown }) => boolean): void {
  const asConnectionError = (err: unknown): unknown =>
    err instanceof Error && isConnectionError(err as { code?: unknown })
      ? new DatabaseConnectionError(`the connection to PostgreSQL failed: ${err.message}`, { cause: err })
      : err;
  const wrap = <F extends (...args: never[]) => unknown>(method: F): F =>
    ((...args: Parameters<F>) => {
      const result = method(...args);
      return result instanceof Promise
        ? result.catch((err: unknown) => {
            throw asConnectionError(err);
          })
        : result;
    }) as F;
  pool.query = wrap(pool.query.bind(pool) as (...args: never[]) => unknown) as typeof pool.query;
  pool.connect = wrap(pool.connect.bind(pool) as (...args: never[]) => unknown) as typeof pool.connect;
}
