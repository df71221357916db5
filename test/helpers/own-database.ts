/**
 * A database of one test file's own on the shared PostgreSQL, emptied of jobs before use: for
 * tests that run the reconciler, which takes every queued job of its database as its own.
 */
import { createDb } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { TEST_DATABASE_URL } from './env.ts';

export async function ownDatabase(name: string): Promise<string> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await prepareDatabase(databaseUrl);
  const db = createDb(databaseUrl);
  try {
    await db.job.deleteMany({});
  } finally {
    await db.$disconnect();
  }
  return databaseUrl;
}
