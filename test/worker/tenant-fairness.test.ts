/**
 * Fairness between tenants on the workers: with TENANT_MAX_RUNNING_JOBS=1, a tenant with a
 * queue of long jobs runs one at a time, and another tenant's job submitted after them runs on
 * the free worker slot at once instead of waiting behind them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { connectRedis } from '../../src/queue.ts';
import { bearer, freshTenant, keysDatabase, newKey } from '../helpers/auth.ts';
import { holdJobs } from '../helpers/hold.ts';
import { api, finished, irisJob, waitForJob, xorJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { until } from '../helpers/until.ts';

/** A's running job is held at this step for the whole test; B's iris job (8 steps) never reaches it. */
holdJobs(64);

describe('tenant running limit', () => {
  let service: TestService;
  let a: { key: string };
  let b: { key: string };
  before(async () => {
    const databaseUrl = await keysDatabase('fairness');
    a = await newKey(databaseUrl, { tenant: freshTenant('busy') });
    b = await newKey(databaseUrl, { tenant: freshTenant('other') });
    service = await startService({
      worker: true,
      env: { DATABASE_URL: databaseUrl, WORKER_CONCURRENCY: '2', TENANT_MAX_RUNNING_JOBS: '1', RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  after(() => service?.close());

  it("a tenant with queued jobs at its running limit does not block another tenant's next job", async () => {
    const busy: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(a.key));
      assert.equal(res.status, 201);
      busy.push(res.json.id);
    }
    // Wait until one of A's jobs runs, then submit B's job behind A's queue.
    const running = async () => (await api(service.url, 'GET', '/v1/jobs?status=running', undefined, bearer(a.key))).json.jobs.length;
    await until(async () => (await running()) > 0, 100);
    const other = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }), bearer(b.key));
    assert.equal(other.status, 201);
    let mostRunning = 0;
    let done: any;
    while (!finished((done = (await api(service.url, 'GET', `/v1/jobs/${other.json.id}`, undefined, bearer(b.key))).json))) {
      mostRunning = Math.max(mostRunning, await running());
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(done.status, 'succeeded', "B's job ran while A's queue waited");
    assert.equal(mostRunning, 1, 'A never ran more than its limit of 1');
    const statuses = await Promise.all(
      busy.map(async (id) => (await api(service.url, 'GET', `/v1/jobs/${id}`, undefined, bearer(a.key))).json.status),
    );
    assert.equal(statuses.filter((s) => s === 'running').length, 1);
    assert.equal(statuses.filter((s) => s === 'queued').length, 3, 'the others are still queued: B did not wait for them');
    // Stepping aside is not an attempt: a job skipped many times keeps all its crash retries.
    const connection = connectRedis(service.config, 'api');
    const queue = new Queue(service.config.QUEUE_NAME, { connection });
    try {
      const waiting = await Promise.all(busy.map((id) => queue.getJob(id)));
      for (const job of waiting.filter((j) => j && statuses[busy.indexOf(j.id!)] === 'queued')) assert.equal(job!.attemptsMade, 0);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    for (const id of busy) await api(service.url, 'POST', `/v1/jobs/${id}/cancel`, undefined, bearer(a.key));
    for (const id of busy) assert.equal((await waitForJob(service.url, id, finished, bearer(a.key))).status, 'canceled');
  });
});
