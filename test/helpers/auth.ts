/**
 * Keys for tests. A test that creates keys uses a database of its own (`keysDatabase`): once a
 * key exists in a database, every service on it requires keys, which other test files,
 * written for open local mode, must not meet.
 */
import { randomUUID } from 'node:crypto';
import { createDb } from '../../src/store/db.ts';
import { createKey } from '../../src/store/keys.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { TEST_DATABASE_URL } from './env.ts';

/** A database next to the test one, named for the test file, with no key in it. */
export async function keysDatabase(name: string): Promise<string> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_${name}`;
  const databaseUrl = url.toString();
  await prepareDatabase(databaseUrl);
  const db = createDb(databaseUrl);
  await db.apiKey.deleteMany({});
  await db.$disconnect();
  return databaseUrl;
}

/** A fresh tenant name, so runs of a test never see each other's data. */
export const freshTenant = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

export async function newKey(
  databaseUrl: string,
  opts: { tenant: string; admin?: boolean; name?: string },
): Promise<{ id: string; key: string; tenant: string }> {
  const db = createDb(databaseUrl);
  try {
    const k = await createKey(db, { name: opts.name ?? 'test', tenant: opts.tenant, role: opts.admin ? 'admin' : 'user' });
    return { id: k.id, key: k.key, tenant: k.tenant };
  } finally {
    await db.$disconnect();
  }
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
