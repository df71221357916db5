/** Idempotent submission, cancel (queued and running), and a job whose loss turns NaN. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { holdJobs } from '../helpers/hold.ts';
import { api, finished, xorJob, irisJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** The running job is held here for its cancel; the file's other jobs end before this step. */
const HOLD_AT = 100;
const hold = holdJobs(HOLD_AT);

describe('job lifecycle', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  const steps = (id: string) => recordedSteps(service.url, id);

  it('an Idempotency-Key makes a repeated request return the same job, also after it finished', async () => {
    const key = `key-${Date.now()}`;
    const body = irisJob({ training: { epochs: 1 } });
    const [a, b] = await Promise.all([
      api(service.url, 'POST', '/v1/jobs', body, { 'idempotency-key': key }),
      api(service.url, 'POST', '/v1/jobs', body, { 'idempotency-key': key }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.json.id, b.json.id);
    assert.equal((a.status === 200 ? a : b).headers.get('idempotent-replayed'), 'true');
    assert.equal(await service.db.job.count({ where: { idempotencyKey: key } }), 1);

    // Cancel it, then replay: still the same job (the key lives in PostgreSQL, not in BullMQ).
    await api(service.url, 'POST', `/v1/jobs/${a.json.id}/cancel`);
    const later = await api(service.url, 'POST', '/v1/jobs', body, { 'idempotency-key': key });
    assert.equal(later.status, 200);
    assert.equal(later.json.id, a.json.id);
    assert.equal(later.json.status, 'canceled');

    // The same request with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    assert.equal((await api(service.url, 'POST', '/v1/jobs', reordered, { 'idempotency-key': key })).json.id, a.json.id);

    const other = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 2 } }), { 'idempotency-key': key });
    assert.equal(other.status, 409);
    assert.equal(other.headers.get('idempotent-replayed'), null);
    assert.match(other.json.message, /^Idempotency-Key: was already used for job/);
  });

  it('a canceled queued job never starts, even when a worker comes later', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const canceled = await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.json.status, 'canceled');
    // A job submitted after it must run, proving the worker was there to take the first one.
    await service.startWorker();
    const { json: next } = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }));
    assert.equal((await waitForJob(service.url, next.id, finished)).status, 'succeeded');
    const after = (await api(service.url, 'GET', `/v1/jobs/${job.id}`)).json;
    assert.equal(after.status, 'canceled');
    assert.equal(after.attempts, 0);
    assert.equal(after.startedAt, null);
    assert.deepEqual(await steps(job.id), []);
  });

  it('a running job stops within a step of the cancel, keeping the metrics recorded so far', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob());
    assert.equal(await hold.reached(job.id), HOLD_AT);
    const running = await waitForJob(service.url, job.id, (j) => j.progress?.step === HOLD_AT);
    assert.equal(running.status, 'running');
    const res = await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`); // the cancel ends the hold
    assert.equal(res.status, 200);
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'canceled');
    assert.ok(done.progress.step < done.progress.totalSteps, 'stopped before the end');
    const recorded = await steps(job.id);
    assert.equal(recorded.length, HOLD_AT, 'the steps before the cancel are kept, and no step after it ran');
    assert.deepEqual(
      recorded,
      Array.from({ length: recorded.length }, (_, i) => i + 1),
    );
    assert.equal(recorded.length, done.progress.step, 'every step the job made is recorded');
    const model = await api(service.url, 'GET', `/v1/jobs/${job.id}/model/model.json`);
    assert.equal(model.status, 409);
    assert.match(model.json.message, /is canceled/);
  });

  it('canceling a finished job is a 409', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }));
    await waitForJob(service.url, job.id, finished);
    const res = await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`);
    assert.equal(res.status, 409);
    assert.match(res.json.message, /has already succeeded/);
  });

  it('a loss that becomes NaN or infinite fails the job, saying at which step', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', {
      dataset: { builtin: 'linear', samples: 64, features: 3 },
      model: { layers: [{ type: 'dense', units: 1 }], loss: 'meanSquaredError' },
      optimizer: { name: 'sgd', learningRate: 1e4 },
      training: { epochs: 50, batchSize: 8, seed: 1 },
    });
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /^the loss became (NaN|Infinity) at step (\d+) \(epoch \d+\)/);
    const step = Number(/at step (\d+)/.exec(done.error)![1]);
    // The steps before it were recorded with finite losses; the failing one was not.
    assert.deepEqual(
      await steps(job.id),
      Array.from({ length: step - 1 }, (_, i) => i + 1),
    );
    assert.equal(done.attempts, 1, 'a NaN is not retried');
  });
});
