/** The Prisma client, on the pg driver adapter (no native query engine needed). */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.ts';
import { DatabaseConnectionError } from './connection-errors.ts';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  // Fail fast instead of queueing forever when PostgreSQL is down: /readyz must turn red.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000 });
  reportConnectionErrors(pool);
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

/**
 * pg and pg-pool report a connection the server dropped ("Connection terminated unexpectedly"),
 * a connect that timed out and a full pool as plain Errors with no code, which the driver adapter
 * passes on untouched: nothing but the message would tell them from a bug. Every error pg raises
 * from a statement carries a code (SQLSTATE, or a socket's ECONNREFUSED…), so a code-less one
 * from the pool is the connection's: it leaves here as a DatabaseConnectionError. The adapter
 * calls only the promise forms of query() and connect().
 */
function reportConnectionErrors(pool: pg.Pool): void {
  const asConnectionError = (err: unknown): unknown =>
    err instanceof Error && (err as { code?: unknown }).code === undefined
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
