/**
 * API keys from the command line, for the first admin key (before any key exists, the HTTP
 * routes are only reachable in open local mode):
 *   npm run --silent keys -- create NAME [--tenant T] [--admin]   prints the new key alone on stdout
 *   npm run --silent keys -- list
 *   npm run --silent keys -- revoke ID
 * It reads DATABASE_URL like the service, and applies migrations first (a fresh database works).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { createDb } from './store/db.ts';
import { createKey, listKeys, revokeKey, TENANT_PATTERN, type KeyRow } from './store/keys.ts';
import { prepareDatabase } from './store/migrate.ts';

const USAGE = 'usage: keys create NAME [--tenant T] [--admin] | keys list | keys revoke ID';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function describe(k: KeyRow): string {
  const when = (d: Date | null) => d?.toISOString() ?? '-';
  return [
    k.id,
    k.prefix + '…',
    k.role,
    k.tenant,
    k.name,
    `created ${when(k.createdAt)}`,
    `used ${when(k.lastUsedAt)}`,
    k.revokedAt ? `REVOKED ${when(k.revokedAt)}` : 'active',
  ].join('  ');
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { tenant: { type: 'string' }, admin: { type: 'boolean', default: false } },
  });
  const [command, arg, ...rest] = positionals;
  if (rest.length > 0) fail(USAGE);
  const config = loadConfig();
  await prepareDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL);
  try {
    if (command === 'create') {
      if (!arg) fail(USAGE);
      if (values.tenant !== undefined && !TENANT_PATTERN.test(values.tenant)) fail(`--tenant: must match ${TENANT_PATTERN.source}`);
      const key = await createKey(db, { name: arg, tenant: values.tenant, role: values.admin ? 'admin' : 'user' });
      console.error(`created ${key.role} key ${key.id} for tenant "${key.tenant}"; it is shown only now:`);
      console.log(key.key);
    } else if (command === 'list') {
      for (const k of await listKeys(db)) console.log(describe(k));
    } else if (command === 'revoke') {
      if (!arg || !UUID.test(arg)) fail('revoke: give the key id (a UUID) from `keys list`');
      const row = await revokeKey(db, arg);
      if (!row) fail(`no key ${arg}`);
      console.log(describe(row));
    } else {
      fail(USAGE);
    }
  } finally {
    await db.$disconnect();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
