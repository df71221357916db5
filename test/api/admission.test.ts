/**
 * Admission control over HTTP with the service's default limits: the jobs that poisoned a training
 * child and a 10^8-step job answer 400 at submit, naming the field, and nothing is stored.
 * No worker is involved: each test builds the app and drives it with inject().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp } from '../helpers/app.ts';

const mnist = (layers: object[], batchSize: number) => ({
  dataset: { builtin: 'mnist', samples: 2000 },
  model: { layers, loss: 'sparseCategoricalCrossentropy' },
  optimizer: { name: 'adam' },
  training: { epochs: 1, batchSize },
});

describe('admission at submit (default limits)', () => {
  const cases: Array<[string, object, string, RegExp]> = [
    [
      'dense 65536 before a 28×28 pool, batch 16',
      mnist(
        [
          { type: 'dense', units: 65536 },
          { type: 'maxPooling2d', poolSize: 28 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        16,
      ),
      'model.layers[0]',
      /over the limit of 2\.0 GiB per job: most of it is this dense layer's output, \[28,28,65536\] values per example/,
    ],
    [
      'conv2d with 4096 filters, batch 256',
      mnist(
        [
          { type: 'conv2d', filters: 4096, kernelSize: 3 },
          { type: 'maxPooling2d', poolSize: 26 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        256,
      ),
      'model.layers[0]',
      /over the limit of 2\.0 GiB per job: most of it is this conv2d layer's output, \[26,26,4096\] values per example/,
    ],
    [
      '10^8 optimizer steps',
      {
        dataset: { builtin: 'xor', samples: 100000 },
        model: { layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }], loss: 'binaryCrossentropy' },
        optimizer: { name: 'sgd' },
        training: { epochs: 1000, batchSize: 1 },
      },
      'training.epochs',
      /make 100000000 optimizer steps, over the limit of 1000000 per job/,
    ],
  ];
  for (const [what, body, field, words] of cases) {
    it(`refuses ${what} with a 400 naming ${field}`, async (t) => {
      const { request } = await buildTestApp(t);
      const before = await request('GET', '/v1/jobs');
      const res = await request('POST', '/v1/jobs', body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.details.field, field);
      assert.ok(res.json.message.startsWith(`${field}: `), res.json.message);
      assert.match(res.json.message, words);
      const after = await request('GET', '/v1/jobs');
      assert.equal(after.json.jobs.length, before.json.jobs.length, 'nothing stored');
    });
  }
});
