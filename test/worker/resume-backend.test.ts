/**
 * A resumed job resumes on the backend that wrote its checkpoint, or fails saying why: a job
 * checkpointed on `tensorflow` that a wasm worker picks up is failed with a message naming both
 * backends and what to do, over HTTP a plain 200 job view, and nothing it stored goes (its
 * checkpoint and every metric row, those past the checkpoint included). A checkpoint the worker
 * writes itself records that worker's backend (checkpoints.test.ts resumes one on each backend).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, finished, irisJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { resumeRefusal } from '../../src/worker/resume-backend.ts';

describe('resuming on another backend', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ env: { TFJS_BACKEND: 'wasm' } });
  });
  after(() => service.close());

  it('a job checkpointed on tensorflow, taken by a wasm worker, fails in words and keeps what it stored', async () => {
    // As a worker of the other backend leaves it: queued after a crash, with a checkpoint at step 3
    // and step rows up to 5 (the crashed attempt got past its checkpoint).
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const { db } = service;
    await db.jobCheckpoint.create({
      data: {
        jobId: job.id,
        step: 3,
        jobSteps: 3,
        epoch: 1,
        epochOffset: 48,
        epochLossSum: 50,
        epochCorrect: 20,
        epochSeen: 48,
        lastLoss: 1,
        weightSpecs: [],
        weightData: new Uint8Array(0),
        // An empty state: the worker refuses the checkpoint before anything reads its values.
        optimizerState: { format: 'tfjs-trainer/optimizer-state@1', optimizer: { name: 'adam', config: {} }, iterations: 3, slots: [] },
        optimizerSlotData: new Uint8Array(0),
        backend: 'tensorflow',
      },
    });
    await db.stepMetric.createMany({
      data: [1, 2, 3, 4, 5].map((step) => ({ jobId: job.id, step, epoch: 1, loss: 1, learningRate: 0.01 })),
    });

    await service.startWorker();
    const res = await api(service.url, 'GET', `/v1/jobs/${job.id}`);
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(res.status, 200);
    assert.equal(done.status, 'failed');
    assert.equal(done.error, resumeRefusal({ step: 3, backend: 'tensorflow' }, 'wasm'));
    assert.match(done.error, /^cannot resume: this job's checkpoint \(step 3\) was written on the tensorflow backend/);
    assert.match(done.error, /trains on wasm/);
    assert.match(done.error, /Run a worker with TFJS_BACKEND=tensorflow .* or submit this job again/);
    assert.equal(done.resumedFromStep, 0, 'it did not resume');
    assert.equal(done.checkpoint?.step, 3, 'the checkpoint is kept');
    assert.deepEqual(await recordedSteps(service.url, job.id), [1, 2, 3, 4, 5], 'no metric row dropped');
  });

  it('a checkpoint stored before backends were recorded (null) resumes anywhere, as it did then', () => {
    assert.equal(resumeRefusal({ step: 3, backend: null }, 'wasm'), undefined);
    assert.equal(resumeRefusal({ step: 3, backend: 'wasm' }, 'wasm'), undefined);
    assert.ok(resumeRefusal({ step: 3, backend: 'cpu' }, 'wasm'), 'cpu and wasm sum differently: another kind');
    assert.ok(resumeRefusal({ step: 3, backend: 'tensorflow-gpu' }, 'tensorflow'));
  });
});
