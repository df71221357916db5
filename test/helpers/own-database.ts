/**
 * A database of one test file's own on the shared PostgreSQL, emptied of jobs before use: for
 * tests that run the reconciler, which takes every queued job of its database as its own. It is
 * named after the test database (TEST_DATABASE_URL) and the file, so two suites run side by side
 * on their own test databases never share it.
 */
import { createDb } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { TEST_DATABASE_URL } from './env.ts';

export async function ownDatabase(name: string): Promise<string> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_${name}`;
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
