/**
 * The reconciler runs one pass at a time across every process (a PostgreSQL advisory lock), and
 * a job BullMQ failed by itself is failed in PostgreSQL too, never run again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import pg from 'pg';
import { connectRedis, createQueue } from '../../src/queue.ts';
import { api, longJob } from '../helpers/http.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('reconciler', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: false, reconcile: true, env: { DATABASE_URL: await ownDatabase('reconciler') } });
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

  it("a running job whose BullMQ entry failed (a stall event no worker heard) fails with BullMQ's reason", async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', longJob());
    // What a worker that died leaves: the row running with a stale heartbeat, and BullMQ's entry
    // failed by BullMQ itself (taken here by a bare worker, then failed with BullMQ's words).
    const connection = connectRedis(service.config, 'worker');
    const bare = new Worker(service.config.QUEUE_NAME, null, { connection });
    const queue = createQueue(service.config, connection);
    try {
      const taken = await bare.getNextJob('bare-token');
      assert.ok(taken && taken.id === job.id, 'the bare worker took the job');
      await taken.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'bare-token');
      await service.db.job.update({
        where: { id: job.id },
        data: { status: 'running', attempts: 1, heartbeatAt: new Date(Date.now() - 60_000) },
      });
      const report = await service.reconciler!.runOnce();
      assert.deepEqual(report, { requeued: [], recovered: [], failed: [job.id] });
      const row = (await api(service.url, 'GET', `/v1/jobs/${job.id}`)).json;
      assert.equal(row.status, 'failed');
      assert.match(row.error, /job stalled more than allowable limit/);
      assert.equal(await queue.getJobState(job.id), 'failed', 'not queued again');
    } finally {
      await bare.close();
      await queue.close();
      connection.disconnect();
    }
  });
});
