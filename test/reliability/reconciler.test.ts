/** The reconciler runs one pass at a time across every process: a PostgreSQL advisory lock. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ownDatabase } from '../helpers/own-database.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('reconciler', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ reconcile: true, env: { DATABASE_URL: await ownDatabase('trainer_test_reconciler') } });
    await service.reconciler!.close(); // its first pass is over; the test drives the next ones
  });
  after(() => service.close());

  it('skips its pass while another process holds the lock, and runs once the lock is free', async () => {
    const other = new pg.Client({ connectionString: service.config.DATABASE_URL });
    await other.connect();
    try {
      // What another process's reconciler holds during its pass (the key in src/worker/reconciler.ts).
      await other.query('SELECT pg_advisory_lock(72616124)');
      assert.equal(await service.reconciler!.runOnce(), null);
      await other.query('SELECT pg_advisory_unlock(72616124)');
      assert.deepEqual(await service.reconciler!.runOnce(), { requeued: [], recovered: [], failed: [] });
    } finally {
      await other.end();
    }
  });
});
