/**
 * The migration runner creates the database, applies each migration once in order, records
 * it as `prisma migrate deploy` would (sha256 of the file), and refuses an edited migration.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { applyMigrations, ensureDatabase, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

const scratchUrl = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/trainer_migrate_${process.pid}`;
  return url.toString();
})();

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  after(async () => {
    const admin = new URL(scratchUrl);
    const name = admin.pathname.slice(1);
    admin.pathname = '/postgres';
    await query(admin.toString(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('creates a missing database and applies every migration once, recorded with its checksum', async () => {
    await ensureDatabase(scratchUrl);
    const first = await applyMigrations(scratchUrl);
    const folders = (await import('node:fs'))
      .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(first, folders);
    assert.deepEqual(await applyMigrations(scratchUrl), [], 'a second run applies nothing');
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      scratchUrl,
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    for (const row of rows) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      assert.equal(row.checksum, createHash('sha256').update(sql).digest('hex'));
      assert.ok(row.finished_at);
    }
    const tables = await query<{ tablename: string }>(
      scratchUrl,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    // Every model of schema.prisma is a table once the migrations ran, and nothing else is.
    const schema = await readFile(path.join(MIGRATIONS_DIR, '..', 'schema.prisma'), 'utf8');
    const models = [...schema.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]);
    assert.ok(models.includes('Job'));
    assert.deepEqual(tables.map((t) => t.tablename).sort(), [...models, '_prisma_migrations'].sort());
  });

  it('refuses a migration whose file changed after it was applied, and rolls back a failing one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const [firstName] = (await import('node:fs'))
      .readdirSync(dir)
      .filter((n) => !n.endsWith('.toml'))
      .sort();
    await writeFile(
      path.join(dir, firstName, 'migration.sql'),
      (await readFile(path.join(dir, firstName, 'migration.sql'), 'utf8')) + '\n-- edited\n',
    );
    await assert.rejects(applyMigrations(scratchUrl, dir), /changed after it was applied/);

    const broken = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await cp(MIGRATIONS_DIR, broken, { recursive: true });
    await mkdir(path.join(broken, '99990101000000_broken'));
    await writeFile(
      path.join(broken, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE "Half" (x int);\nSELECT no_such_function();',
    );
    await assert.rejects(applyMigrations(scratchUrl, broken), /migration 99990101000000_broken failed/);
    const half = await query(scratchUrl, "SELECT 1 FROM pg_tables WHERE tablename = 'Half'");
    assert.equal(half.length, 0, 'the failed migration left nothing behind');
  });
});
