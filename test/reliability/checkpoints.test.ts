/**
 * Checkpoints, resumed exactly: a worker's whole process group killed mid-epoch (as a machine
 * dies) leaves a checkpoint; the next attempt continues from it, drops the rows past it, and ends
 * with weights, optimizer state and every step's loss bitwise equal to an uninterrupted run of the
 * same spec on the same backend, on each production backend present (wasm; tensorflow, through
 * the compiled step, where it is built), and its checkpoint records that backend. A job past its time limit fails in
 * words and keeps its checkpoint.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { holdJobs } from '../helpers/hold.ts';
import { api, finished, recordedSteps, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { killGroup, workerProcess } from '../helpers/worker-process.ts';
import { backendsHere } from '../helpers/backends.ts';

/**
 * Steps an epoch: 400 training examples in batches of 4. On wasm the model takes the unfused path
 * (its dropout layer keeps it off the fused dense step, so the dropout's random stream resumes
 * too); on tensorflow it is the compiled step's: no dropout, and too many weights for the fused
 * dense step, which would send it to wasm (domain/training-backend.ts).
 */
const STEPS_PER_EPOCH = 100;
/**
 * Every job is held at this step, in its second epoch (helpers/hold.ts), long enough for a
 * checkpoint (CHECKPOINT_INTERVAL_S=1) to be due when it goes on; the interrupted one is held
 * again a few steps later, past that checkpoint, and killed there.
 */
const HOLD_AT = 150;
const KILL_AT = HOLD_AT + 10;
const hold = holdJobs(HOLD_AT); // worker processes inherit it from this process's environment
const specOn = (backend: 'wasm' | 'tensorflow') => ({
  ...spec,
  dataset: { builtin: 'xor', samples: (STEPS_PER_EPOCH * 4) / 0.8 },
  model: backend === 'wasm' ? spec.model : compiledModel,
});
const compiledModel = {
  layers: [
    { type: 'dense', units: 128, activation: 'tanh' },
    { type: 'dense', units: 64, activation: 'tanh' },
    { type: 'dense', units: 1, activation: 'sigmoid' },
  ],
  loss: 'binaryCrossentropy',
  metrics: ['accuracy'],
};
const spec = {
  name: 'checkpointed',
  dataset: { builtin: 'xor', samples: (STEPS_PER_EPOCH * 4) / 0.8 },
  model: {
    layers: [
      { type: 'dense', units: 16, activation: 'tanh' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 1, activation: 'sigmoid' },
    ],
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  },
  optimizer: { name: 'adam', learningRate: 0.01 },
  training: { epochs: 3, batchSize: 4, validationSplit: 0.2, seed: 5 },
};

async function bytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

async function allSteps(base: string, id: string): Promise<Array<{ step: number; loss: number; learningRate: number }>> {
  const out = [];
  for (let from = 1; ;) {
    const { json } = await api(base, 'GET', `/v1/jobs/${id}/metrics?fromStep=${from}&limit=10000`);
    out.push(...json.steps);
    if (json.nextFromStep === null || json.steps.length === 0) return out;
    from = json.nextFromStep;
  }
}

for (const { backend, skip } of await backendsHere(['wasm', 'tensorflow'] as const))
  describe(`checkpoints on ${backend}`, { skip }, () => {
    let service: TestService;
    before(async () => {
      service = await startService({ env: { CHECKPOINT_INTERVAL_S: '1', TFJS_BACKEND: backend } });
    });
    after(() => service.close());

    it('worker and child killed mid-epoch: the next attempt resumes from the checkpoint, bitwise as an uninterrupted run', async () => {
      const doomed = workerProcess(service.config, { detached: true });
      const spec = specOn(backend);
      const perEpoch = STEPS_PER_EPOCH;
      const { json: job } = await api(service.url, 'POST', '/v1/jobs', spec);
      await hold.reached(job.id);
      // At least the checkpoint interval since the last checkpoint: one is due before the next step.
      await sleep(1000 * Number(service.config.CHECKPOINT_INTERVAL_S));
      hold.release(job.id, KILL_AT);
      await hold.reached(job.id);
      const midEpoch = (j: any) => j?.checkpoint != null && j.checkpoint.step > perEpoch && j.checkpoint.step % perEpoch !== 0;
      // Every step up to the kill stored: the next attempt must drop those past the checkpoint.
      const before = await waitForJob(service.url, job.id, (j) => midEpoch(j) && j.progress.step === KILL_AT);
      assert.ok(before.checkpoint.step >= HOLD_AT && before.checkpoint.step < KILL_AT, `checkpoint at ${before.checkpoint.step}`);
      killGroup(doomed);
      await once(doomed, 'exit');
      const killed = (await api(service.url, 'GET', `/v1/jobs/${job.id}`)).json;
      assert.equal(killed.status, 'running', 'nobody has noticed yet');
      const checkpoint = killed.checkpoint;
      const row = await service.db.jobCheckpoint.findUnique({ where: { jobId: job.id }, select: { backend: true } });
      assert.equal(row?.backend, backend, 'the checkpoint records the backend that wrote it');

      hold.release(job.id); // the next attempt runs to its end
      await service.startWorker();
      const done = await waitForJob(service.url, job.id, finished);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.attempts, 2);
      assert.equal(done.resumedFromStep, checkpoint.step, 'the second attempt started at the checkpoint');
      assert.equal(done.checkpoint, null, 'a succeeded job keeps no checkpoint');
      const steps = await allSteps(service.url, job.id);
      assert.deepEqual(
        steps.map((s) => s.step),
        Array.from({ length: 3 * perEpoch }, (_, i) => i + 1),
        'every step once',
      );

      const { json: twin } = await api(service.url, 'POST', '/v1/jobs', { ...spec, name: 'uninterrupted' });
      await hold.reached(twin.id);
      hold.release(twin.id); // held and let go at once: no checkpoint, no interruption
      const twinDone = await waitForJob(service.url, twin.id, finished);
      assert.equal(twinDone.status, 'succeeded', twinDone.error);
      assert.equal(twinDone.resumedFromStep, 0);

      const weights = await bytes(`${service.url}/v1/jobs/${job.id}/model/weights.bin`);
      const twinWeights = await bytes(`${service.url}/v1/jobs/${twin.id}/model/weights.bin`);
      assert.ok(weights.equals(twinWeights), 'weights bitwise equal');
      const state = (await api(service.url, 'GET', `/v1/jobs/${job.id}/optimizer-state`)).text;
      const twinState = (await api(service.url, 'GET', `/v1/jobs/${twin.id}/optimizer-state`)).text;
      assert.equal(state, twinState, 'optimizer state equal');
      assert.deepEqual(steps, await allSteps(service.url, twin.id), "every step's loss and learning rate equal");
      const epochs = (await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics?limit=1`)).json.epochs;
      const twinEpochs = (await api(service.url, 'GET', `/v1/jobs/${twin.id}/metrics?limit=1`)).json.epochs;
      assert.deepEqual(epochs, twinEpochs, 'epoch records equal, the interrupted epoch included');
    });
  });

describe('time limit', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: true, env: { MAX_JOB_SECONDS: '2', CHECKPOINT_INTERVAL_S: '0' } });
  });
  after(() => service.close());

  it('a job past MAX_JOB_SECONDS fails saying so, keeping its checkpoint and every step up to it', async () => {
    // It cannot end first: it is held at HOLD_AT until its time is up, if its time is not up before.
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', spec);
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /time limit reached: the job ran for 2 s \(MAX_JOB_SECONDS\)/);
    assert.ok(done.checkpoint, 'the checkpoint is kept');
    assert.ok(done.checkpoint.step <= HOLD_AT);
    assert.deepEqual(
      await recordedSteps(service.url, job.id),
      Array.from({ length: done.checkpoint.step }, (_, i) => i + 1),
      'saved where the time limit stopped it: every step up to it, none after',
    );
  });
});
