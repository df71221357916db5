/**
 * Worker machines come and go: a worker killed mid-job (SIGKILL, no goodbye) leaves a stalled
 * job that another worker finishes from step 1 without duplicate steps; a worker told to stop
 * (SIGTERM) ends its step, puts the job back in the queue and exits.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { holdJobs } from '../helpers/hold.ts';
import { api, finished, xorJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { workerProcess as spawnWorker } from '../helpers/worker-process.ts';

/** Every job is held at this step, running, for its worker to be killed or stopped there. */
const HOLD_AT = 200;
const hold = holdJobs(HOLD_AT); // worker processes inherit it from this process's environment

const workerProcess = (service: TestService, detached = false) => spawnWorker(service.config, { detached });

describe('worker crash and shutdown', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  const stepsOf = (id: string) => recordedSteps(service.url, id);

  it('a job whose worker is killed finishes on another worker, every step recorded once', async () => {
    const doomed = workerProcess(service);
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob(60));
    await hold.reached(job.id);
    const running = await waitForJob(service.url, job.id, (j) => j.progress?.step === HOLD_AT);
    assert.equal(running.status, 'running', 'the first worker took the job');
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');
    assert.deepEqual(
      await stepsOf(job.id),
      Array.from({ length: HOLD_AT }, (_, i) => i + 1),
      'the killed attempt had recorded steps',
    );

    hold.release(job.id); // on the next worker it runs to its end
    await service.startWorker(); // the other machine
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal(done.attempts, 2, 'started once by each worker');
    const steps = await stepsOf(job.id);
    assert.equal(steps.length, done.progress.totalSteps);
    assert.deepEqual(
      steps,
      Array.from({ length: steps.length }, (_, i) => i + 1),
    );
    const { json: metrics } = await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics`);
    assert.deepEqual(
      metrics.epochs.map((e: any) => e.epoch),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
  });

  for (const how of ['SIGTERM to the worker', 'Ctrl-C (SIGINT to its whole process group)']) {
    it(`${how} stops a worker within a step: its job goes back to the queue and another worker finishes it`, async () => {
      await service.stopWorkers(); // only the process below takes jobs now
      const group = how.startsWith('Ctrl-C');
      const leaving = workerProcess(service, group);
      const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob(60));
      await hold.reached(job.id);
      const started = Date.now();
      // The group signal also reaches the training child, which must leave the stop to its worker.
      if (group) process.kill(-leaving.pid!, 'SIGINT');
      else leaving.kill('SIGTERM');
      const [code] = await once(leaving, 'exit');
      assert.equal(code, 0, 'a clean exit');
      assert.ok(Date.now() - started < 10_000, `stopped in ${Date.now() - started} ms`);
      const requeued = (await api(service.url, 'GET', `/v1/jobs/${job.id}`)).json;
      assert.equal(requeued.status, 'queued');
      assert.equal(requeued.checkpoint?.step, HOLD_AT, 'the stopped attempt saved a checkpoint where it stopped');

      hold.release(job.id);
      await service.startWorker();
      const done = await waitForJob(service.url, job.id, finished);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.resumedFromStep, requeued.checkpoint.step, 'the next attempt continued from that checkpoint');
      const steps = await stepsOf(job.id);
      assert.deepEqual(
        steps,
        Array.from({ length: done.progress.totalSteps }, (_, i) => i + 1),
      );
    });
  }
});

describe('a job that keeps stalling', () => {
  let service: TestService;
  // No stall is forgiven here, so the first lost worker fails the job (BullMQ skips `attempts` for stalls).
  // BullMQ says so only in an event, which a worker starting at that moment may not hear yet:
  // the reconciler, as `npm start` runs it, is the backstop (it needs a database of its own).
  before(async () => {
    const DATABASE_URL = await ownDatabase('stalling');
    service = await startService({ reconcile: true, env: { DATABASE_URL, MAX_STALLED_COUNT: '0', RECONCILE_INTERVAL_MS: '1000' } });
  });
  after(() => service.close());

  it('fails with a reason a user understands once it stalled more often than allowed', async () => {
    const doomed = workerProcess(service);
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', xorJob(60));
    await hold.reached(job.id);
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');
    hold.release(job.id); // were it to run again, it would not wait
    await service.startWorker(); // its stalled-job check finds the orphan
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /stopped responding too many times/);
  });
});
