/**
 * PostgreSQL down under a worker, on a cluster of the test's own stopped at will: the worker keeps
 * training, holds its step rows (and holds training once its buffer is full), retries, and writes
 * every row once the database is back; the job succeeds only with all of them. Progress and the
 * database cancel fallback work again afterwards; a job taken while the database is down waits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { holdJobs } from '../helpers/hold.ts';
import { api, finished, xorJob, irisJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { startPostgres, type OwnPostgres } from '../helpers/servers.ts';
import { startService, type TestService } from '../helpers/service.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jobs are held here, running, when PostgreSQL goes down; the iris job (40 steps) never reaches it. */
const HOLD_AT = 1000;
const hold = holdJobs(HOLD_AT);

describe('PostgreSQL down under a running job', () => {
  let pg: OwnPostgres;
  let service: TestService;
  before(async () => {
    pg = await startPostgres();
    // A small buffer, so the outage fills it and training has to wait.
    service = await startService({ worker: true, env: { DATABASE_URL: pg.url(), METRICS_BUFFER_ROWS: '1000' } });
  });
  after(async () => {
    await service.close();
    await pg.close();
  });

  it('no row is lost: every step and epoch row is stored once the database returns, and only then does the job succeed', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob(150));
    await hold.reached(job.id);
    await pg.stop();
    hold.release(job.id); // it trains on through the outage until its buffer of 1,000 rows is full
    await sleep(4000);
    await pg.start();
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'succeeded', done.error);
    const steps = await recordedSteps(service.url, job.id);
    assert.equal(done.progress.totalSteps, 150 * 64);
    assert.deepEqual(
      steps,
      Array.from({ length: 150 * 64 }, (_, i) => i + 1),
    );
    const { json: metrics } = await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics?limit=1`);
    assert.deepEqual(
      metrics.epochs.map((e: any) => e.epoch),
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
  });

  it('after an outage progress moves again and the database cancel flag still stops the job', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob(40));
    await hold.reached(job.id);
    await pg.stop();
    hold.release(job.id, HOLD_AT + 500); // trains on through the outage, and is held again there
    await sleep(2000);
    await pg.start();
    await hold.reached(job.id);
    const moved = await waitForJob(service.url, job.id, (j) => j?.progress?.step === HOLD_AT + 500);
    assert.equal(moved.status, 'running', 'progress is written again');
    // The cancel as only the database says it (as if the pub/sub message were lost); it ends the hold.
    await service.db.job.update({ where: { id: job.id }, data: { cancelRequested: true } });
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'canceled');
    assert.equal(done.progress.step, HOLD_AT + 500, 'stopped where it was held');
  });

  it('a job a worker takes while the database is down waits for it, without spending an attempt', async () => {
    await service.stopWorkers();
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    await pg.stop();
    await service.startWorker();
    await sleep(1500); // the worker has taken it, found the database gone and put it aside
    await pg.start();
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal(done.attempts, 1);
  });
});
