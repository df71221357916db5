/**
 * The backend each job trains on: what the worker's training process loaded, except that a
 * process on native TensorFlow trains the smallest dense models (the fused dense step's) on wasm,
 * where they are several times faster. Over HTTP on a native worker: a tiny model is recorded
 * and trained on wasm, a larger one on tensorflow through the compiled step, whose weights are
 * bit for bit those of the same spec trained here on the same backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { train } from '../../src/engine/train.ts';
import { parseJobSpec, planJob, type JobSpec } from '../../src/domain/job.ts';
import { trainingBackend } from '../../src/domain/training-backend.ts';
import { api, finished, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { backendsHere } from '../helpers/backends.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };

const tiny = {
  name: 'tiny',
  dataset: { builtin: 'xor', samples: 64 },
  model: {
    layers: [
      { type: 'dense', units: 4, activation: 'tanh' },
      { type: 'dense', units: 1, activation: 'sigmoid' },
    ],
    loss: 'binaryCrossentropy',
  },
  optimizer: { name: 'sgd', learningRate: 0.1 },
  training: { epochs: 2, batchSize: 4, seed: 3 },
};
/** 8,705 weights × batch 4: past the fused dense step's bound, so the compiled step's on native. */
const larger = {
  ...tiny,
  name: 'larger',
  model: {
    layers: [
      { type: 'dense', units: 128, activation: 'tanh' },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 1, activation: 'sigmoid' },
    ],
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  },
  optimizer: { name: 'adam', learningRate: 0.01 },
};
const withDropout = {
  ...tiny,
  model: { ...tiny.model, layers: [tiny.model.layers[0], { type: 'dropout', rate: 0.2 }, tiny.model.layers[1]] },
};

const parse = (body: object) => parseJobSpec(body, LIMITS, () => 0).spec;

describe('the backend a job trains on', () => {
  it('is the loaded one on wasm and cpu, whatever the model', () => {
    for (const loaded of ['wasm', 'cpu']) {
      for (const body of [tiny, larger, withDropout]) assert.equal(trainingBackend(parse(body), loaded), loaded);
    }
  });

  it('on native TensorFlow: wasm for a model the fused dense step takes, the native backend for any other', () => {
    for (const loaded of ['tensorflow', 'tensorflow-gpu']) {
      assert.equal(trainingBackend(parse(tiny), loaded), 'wasm');
      assert.equal(trainingBackend(parse(larger), loaded), loaded, 'too much work per step for the fused step');
      assert.equal(trainingBackend(parse(withDropout), loaded), loaded, 'dropout keeps a model off the fused step');
      const images = { ...tiny, dataset: { builtin: 'mnist', samples: 64, shape: 'image' } };
      const cnn = {
        ...images,
        model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }], loss: 'categoricalCrossentropy' },
      };
      assert.equal(trainingBackend(parse(cnn), loaded), loaded, 'examples of rank 3');
    }
  });
});

for (const { skip } of await backendsHere(['tensorflow'] as const)) {
  describe('a worker on native TensorFlow', { skip }, () => {
    let service: TestService;
    before(async () => {
      service = await startService({ worker: true, env: { TFJS_BACKEND: 'tensorflow' } });
    });
    after(() => service.close());

    it('trains the tiny model on wasm and says so', async () => {
      const { json } = await api(service.url, 'POST', '/v1/jobs', tiny);
      const done = await waitForJob(service.url, json.id, finished);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.backend, 'wasm');
    });

    it('trains the larger model on tensorflow, through the compiled step, bit for bit as here', async () => {
      const { json } = await api(service.url, 'POST', '/v1/jobs', larger);
      const done = await waitForJob(service.url, json.id, finished);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.backend, 'tensorflow');
      await initBackend('tensorflow');
      const spec = done.spec as JobSpec;
      const local = await train(spec, planJob(spec), { onStep() {}, onEpoch() {}, stopRequested: () => undefined });
      const res = await fetch(`${service.url}/v1/jobs/${json.id}/model/weights.bin`);
      assert.deepEqual(new Float32Array(await res.arrayBuffer()), new Float32Array(local.model.weightData));
      assert.equal(tf.getBackend(), 'tensorflow');
    });
  });
}
