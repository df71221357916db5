/**
 * "PostgreSQL is down", told apart from every other database error by class and code, never by
 * message text, so the API can answer 503 (try again) instead of 500 (our bug) and the worker
 * can hold on and retry. The reason is in words, for /readyz and the 503 body.
 *
 * What arrives when the database is unreachable (measured with Prisma 7.10, @prisma/adapter-pg,
 * pg 8, a PostgreSQL stopped with `pg_ctl -m immediate`):
 * - refused connection: PrismaClientKnownRequestError P1001 (P2010 from raw queries) whose
 *   meta.driverAdapterError.cause.kind is DatabaseNotReachable;
 * - a pooled connection the server dropped, a connect that timed out, a full pool: plain Errors
 *   from pg / pg-pool with no code at all, which createDb's pool wraps in DatabaseConnectionError.
 */
import { Prisma } from './generated/client.ts';

/** A failure of the connection to PostgreSQL (not of a statement): pg reports these without a SQLSTATE. */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/** Prisma's own codes for an unreachable or overloaded server (prisma.io/docs/orm/reference/error-reference). */
const PRISMA_CODES: Record<string, string> = {
  P1001: 'PostgreSQL cannot be reached',
  P1002: 'PostgreSQL did not answer in time',
  P1008: 'a database operation timed out',
  P1017: 'PostgreSQL closed the connection',
  P2024: 'no free database connection in time (the pool is exhausted)',
  P2037: 'PostgreSQL has too many open connections',
};

interface AdapterCause {
  kind?: unknown;
  host?: unknown;
  port?: unknown;
  code?: unknown;
  message?: unknown;
}

/** The driver adapter's classification of a pg error (@prisma/adapter-pg convertDriverError). */
function adapterReason(cause: AdapterCause): string | null {
  switch (cause.kind) {
    case 'DatabaseNotReachable':
      return `PostgreSQL cannot be reached at ${String(cause.host)}:${String(cause.port)} (connection refused or unknown host)`;
    case 'ConnectionClosed':
      return 'PostgreSQL closed the connection';
    case 'SocketTimeout':
      return 'PostgreSQL did not answer in time';
    case 'TooManyConnections':
      return 'PostgreSQL has too many open connections';
    case 'postgres':
      return typeof cause.code === 'string' ? sqlStateReason(cause.code) : null;
    default:
      return null;
  }
}

/**
 * SQLSTATEs of a server going away or out of resources (postgresql.org/docs/15/errcodes-appendix):
 * class 08 connection exception, 57P01..57P03 shutdown or still starting, class 53 resources.
 */
function sqlStateReason(code: string): string | null {
  if (code.startsWith('08')) return `the connection to PostgreSQL failed (SQLSTATE ${code})`;
  if (code === '57P01' || code === '57P02') return `PostgreSQL is shutting down (SQLSTATE ${code})`;
  if (code === '57P03') return 'PostgreSQL is starting up and does not accept connections yet';
  if (code.startsWith('53')) return `PostgreSQL is out of resources (SQLSTATE ${code})`;
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Why the database is unavailable, if `err` says it is; null for any other error. */
export function databaseUnavailable(err: unknown): string | null {
  if (err instanceof DatabaseConnectionError) return err.reason;
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    const adapter = isObject(err.meta) && isObject(err.meta.driverAdapterError) ? err.meta.driverAdapterError.cause : undefined;
    const byAdapter = isObject(adapter) ? adapterReason(adapter) : null;
    return byAdapter ?? PRISMA_CODES[err.code] ?? null;
  }
  if (err instanceof Prisma.PrismaClientInitializationError) {
    return (err.errorCode && PRISMA_CODES[err.errorCode]) ?? 'the database client could not start';
  }
  // Inside interactive transactions the adapter's error can arrive unwrapped.
  if (isObject(err) && err.name === 'DriverAdapterError' && isObject(err.cause)) return adapterReason(err.cause);
  // A pg DatabaseError (it has a severity) raised by a statement, e.g. 57P01 on a terminated session.
  if (isObject(err) && typeof err.code === 'string' && typeof err.severity === 'string') return sqlStateReason(err.code);
  return null;
}
