/**
 * The reconciler runs one pass at a time across every process (a PostgreSQL advisory lock), a
 * job BullMQ failed by itself is failed in PostgreSQL too, never run again, and a job that ends
 * while the reconciler looks at it is not queued again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import pg from 'pg';
import { connectRedis, createQueue } from '../../src/queue.ts';
import { Reconciler } from '../../src/worker/reconciler.ts';
import { api, xorJob } from '../helpers/http.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { capturedLog, mentions } from '../helpers/captured-log.ts';

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
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob());
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

  it('a job that finishes between its read as queued and its requeue is neither requeued nor logged', async () => {
    const connection = connectRedis(service.config, 'api');
    const queue = createQueue(service.config, connection);
    const { log, lines } = capturedLog('info');
    const reconciler = new Reconciler(service.db, queue, service.config, log);
    const worker = new pg.Client({ connectionString: service.config.DATABASE_URL });
    await worker.connect();
    try {
      // Two queued jobs Redis has lost; one of them a worker is finishing as the pass reads them:
      // its update holds the row, not yet committed, so the pass reads the job as queued.
      const { json: lost } = await api(service.url, 'POST', '/v1/jobs', xorJob());
      const { json: finishing } = await api(service.url, 'POST', '/v1/jobs', xorJob());
      for (const id of [lost.id, finishing.id]) await queue.remove(id);
      await worker.query('BEGIN');
      await worker.query(`UPDATE "Job" SET status = 'succeeded', "finishedAt" = now() WHERE id = $1`, [finishing.id]);

      let passOver = false;
      const pass = reconciler.runOnce().finally(() => (passOver = true));
      // Observed, not slept: the pass waits for the row (or, wrongly, ends without looking at it again).
      const waitingForRow = async () => {
        const [{ n }] = await service.db.$queryRaw<Array<{ n: number }>>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return n > 0;
      };
      while (!passOver && !(await waitingForRow())) await new Promise((r) => setTimeout(r, 20));
      await worker.query('COMMIT');
      const report = await pass;

      assert.deepEqual(report, { requeued: [lost.id], recovered: [], failed: [] });
      assert.equal(await queue.getJobState(lost.id), 'waiting', 'the lost job is queued again');
      assert.equal(await queue.getJobState(finishing.id), 'unknown', 'the finished job is not');
      const reconciled = lines.filter((l) => l.msg === 'reconciled PostgreSQL with Redis');
      assert.equal(reconciled.length, 1);
      assert.ok(mentions(reconciled[0], lost.id));
      assert.deepEqual(
        lines.filter((l) => mentions(l, finishing.id)),
        [],
        'no line names the finished job',
      );
    } finally {
      await worker.end();
      await queue.close();
      connection.disconnect();
    }
  });
});
