/** The Prisma client, on the pg driver adapter (no native query engine needed). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  // Fail fast instead of queueing forever when PostgreSQL is down: /readyz must turn red.
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5000,
  });
  return new PrismaClient({ adapter });
}
