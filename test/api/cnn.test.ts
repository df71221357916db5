/**
 * A convolutional net on mnist trains through the service on wasm (its conv gradients are ours)
 * and on tensorflow where tfjs-node is built (TensorFlow's own kernels).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, finished, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { backendsHere } from '../helpers/backends.ts';

for (const { backend, skip } of await backendsHere(['wasm', 'tensorflow'] as const)) {
  describe(`CNN on ${backend}`, { skip }, () => {
    let service: TestService;
    before(async () => {
      service = await startService({ worker: true, env: { TFJS_BACKEND: backend } });
    });
    after(() => service.close());

    it('trains conv2d → maxPooling2d → flatten → dense on mnist and learns', async () => {
      const res = await api(service.url, 'POST', '/v1/jobs', {
        dataset: { builtin: 'mnist', samples: 1000 },
        model: {
          layers: [
            { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
            { type: 'maxPooling2d', poolSize: 2 },
            { type: 'flatten' },
            { type: 'dense', units: 10, activation: 'softmax' },
          ],
          loss: 'categoricalCrossentropy',
          metrics: ['accuracy'],
        },
        optimizer: { name: 'adam', learningRate: 0.005 },
        training: { epochs: 3, batchSize: 32, validationSplit: 0.2, seed: 4 },
      });
      assert.equal(res.status, 201, res.text);
      const job = await waitForJob(service.url, res.json.id, finished);
      assert.equal(job.status, 'succeeded', job.error);
      assert.equal(job.backend, backend);
      const { json } = await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics`);
      // Ten classes: chance is 10%; a few hundred steps of a small CNN get well past it.
      assert.ok(json.epochs[2].valAccuracy > 0.6, `validation accuracy ${json.epochs[2].valAccuracy}`);
      assert.ok(json.epochs[2].loss < json.epochs[0].loss);
    });
  });
}
