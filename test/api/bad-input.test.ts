/**
 * Every kind of bad input answers a JSON 4xx whose message names the field and the reason,
 * and stores nothing. Validation needs no worker and no socket: the tests share one app, built
 * without a port and driven with inject(), against the real PostgreSQL and Redis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appForSuite } from '../helpers/app.ts';
import { irisJob } from '../helpers/http.ts';

type Body = ReturnType<typeof irisJob>;
const mutate = (change: (job: any) => void): Body => {
  const job = structuredClone(irisJob());
  change(job);
  return job;
};

/** [what, request body, status, a field the message must name, words the message must contain] */
const CASES: Array<[string, unknown, number, string, RegExp]> = [
  [
    'unknown dataset',
    mutate((j) => {
      j.dataset = { builtin: 'cifar' };
    }),
    400,
    'dataset.builtin',
    /unknown dataset "cifar".*iris, mnist/,
  ],
  [
    'unknown dataset option',
    mutate((j) => {
      j.dataset.colour = 'red';
    }),
    400,
    'dataset.colour',
    /^dataset\.colour: unknown option of dataset "iris"; allowed: builtin, samples, standardize$/,
  ],
  [
    'too many samples',
    mutate((j) => {
      j.dataset.samples = 151;
    }),
    400,
    'dataset.samples',
    /must be in \[1, 150\], got 151/,
  ],
  [
    'unknown layer type',
    mutate((j) => {
      j.model.layers[0].type = 'lstm';
    }),
    400,
    'model.layers[0].type',
    /unknown layer type "lstm"/,
  ],
  [
    'unknown layer option',
    mutate((j) => {
      j.model.layers[0].kernel = 3;
    }),
    400,
    'model.layers[0].kernel',
    /unknown option of layer "dense"; allowed: .*units/,
  ],
  [
    'negative units',
    mutate((j) => {
      j.model.layers[0].units = -4;
    }),
    400,
    'model.layers[0].units',
    /must be in \[1, 65536\], got -4/,
  ],
  [
    'fractional units',
    mutate((j) => {
      j.model.layers[0].units = 2.5;
    }),
    400,
    'model.layers[0].units',
    /integer/,
  ],
  [
    'dropout rate of 1',
    mutate((j) => {
      j.model.layers[1].rate = 1;
    }),
    400,
    'model.layers[1].rate',
    /must be in \[0, 1\), got 1$/,
  ],
  [
    'unknown activation',
    mutate((j) => {
      j.model.layers[0].activation = 'sine';
    }),
    400,
    'model.layers[0].activation',
    /one of linear, relu/,
  ],
  [
    'unknown loss',
    mutate((j) => {
      j.model.loss = 'hinge';
    }),
    400,
    'model.loss',
    /one of meanSquaredError/,
  ],
  [
    'missing loss',
    mutate((j) => {
      delete j.model.loss;
    }),
    400,
    'model.loss',
    /required/,
  ],
  [
    'unknown metric',
    mutate((j) => {
      j.model.metrics = ['f1'];
    }),
    400,
    'model.metrics',
    /accuracy/,
  ],
  [
    'output width wrong for the dataset',
    mutate((j) => {
      j.model.layers[2].units = 4;
    }),
    400,
    'model.layers[2]',
    /output has shape \[4\].*needs \[3\]/,
  ],
  [
    'crossentropy without softmax',
    mutate((j) => {
      j.model.layers[2].activation = 'linear';
    }),
    400,
    'model.layers[2].activation',
    /softmax/,
  ],
  [
    'binary crossentropy with softmax on one output',
    {
      ...irisJob(),
      dataset: { builtin: 'xor' },
      model: { layers: [{ type: 'dense', units: 1, activation: 'softmax' }], loss: 'binaryCrossentropy' },
    },
    400,
    'model.layers[0].activation',
    /needs activation sigmoid, got softmax/,
  ],
  [
    'a dilated convolution (tfjs has no gradient for it)',
    {
      ...irisJob(),
      dataset: { builtin: 'mnist', samples: 10 },
      model: {
        layers: [
          { type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        loss: 'categoricalCrossentropy',
      },
    },
    400,
    'model.layers[0].dilationRate',
    /cannot compute the gradient of a dilated convolution/,
  ],
  [
    'conv2d on flat examples',
    mutate((j) => {
      j.model.layers.unshift({ type: 'conv2d', filters: 2, kernelSize: 3 });
    }),
    400,
    'model.layers[0]',
    /\[height, width, channels\].*\[4\]/,
  ],
  [
    'regression loss on classes with accuracy',
    mutate((j) => {
      j.dataset = { builtin: 'linear' };
    }),
    400,
    'model.loss',
    /needs a classification dataset/,
  ],
  [
    'too many parameters',
    mutate((j) => {
      j.model.layers[0].units = 60000;
      j.model.layers.splice(1, 0, { type: 'dense', units: 200 });
    }),
    400,
    'model.layers',
    /parameters, over the limit/,
  ],
  [
    'unknown optimizer',
    mutate((j) => {
      j.optimizer = { name: 'adamax2', learningRate: 0.1 };
    }),
    400,
    'optimizer.name',
    /adamax2/,
  ],
  [
    'negative learning rate',
    mutate((j) => {
      j.optimizer.learningRate = -0.1;
    }),
    400,
    'optimizer.learningRate',
    /-0.1/,
  ],
  [
    'beta1 of 1',
    mutate((j) => {
      j.optimizer.beta1 = 1;
    }),
    400,
    'optimizer.beta1',
    /1/,
  ],
  [
    'option of another optimizer',
    mutate((j) => {
      j.optimizer.rho = 0.9;
    }),
    400,
    'optimizer.rho',
    /adam/,
  ],
  [
    'two clipping options',
    mutate((j) => {
      j.optimizer.clipNorm = 1;
      j.optimizer.clipValue = 1;
    }),
    400,
    'optimizer',
    /clipNorm.*clipValue|clipValue.*clipNorm/,
  ],
  [
    'zero epochs',
    mutate((j) => {
      j.training.epochs = 0;
    }),
    400,
    'training.epochs',
    /must be in \[1, 1000\], got 0$/,
  ],
  [
    'epochs over the limit',
    mutate((j) => {
      j.training.epochs = 100000;
    }),
    400,
    'training.epochs',
    /must be in \[1, 1000\], got 100000/,
  ],
  [
    'batch size over the limit',
    mutate((j) => {
      j.training.batchSize = 1e6;
    }),
    400,
    'training.batchSize',
    /must be in \[1, 8192\], got 1000000/,
  ],
  [
    'batch size as a string',
    mutate((j) => {
      j.training.batchSize = 'big';
    }),
    400,
    'training.batchSize',
    /number/,
  ],
  [
    'validation split of 1',
    mutate((j) => {
      j.training.validationSplit = 1;
    }),
    400,
    'training.validationSplit',
    /must be in \[0, 1\), got 1$/,
  ],
  [
    'unknown training field',
    mutate((j) => {
      j.training.patience = 3;
    }),
    400,
    'training.patience',
    /unknown field/,
  ],
  [
    'unknown top-level field',
    mutate((j) => {
      j.owner = 'me';
    }),
    400,
    'owner',
    /unknown field/,
  ],
  [
    'missing training',
    mutate((j) => {
      delete j.training;
    }),
    400,
    'training',
    /required/,
  ],
];

describe('bad input', () => {
  const testApp = appForSuite();

  for (const [what, body, status, field, words] of CASES) {
    it(`${what}: ${status} naming ${field}`, async () => {
      const { request, db } = testApp();
      // A name of its own: "nothing stored" must hold even with other tests' jobs around.
      const name = `bad input ${what}`;
      const res = await request('POST', '/v1/jobs', { ...(body as object), name });
      assert.equal(res.status, status, res.text);
      assert.equal(res.json.error, 'invalid_request');
      assert.ok(res.json.message.startsWith(`${field}:`), `message "${res.json.message}" should start with "${field}:"`);
      assert.match(res.json.message, words);
      assert.equal(await db.job.count({ where: { name } }), 0, 'nothing is stored');
    });
  }

  it('a non-finite number (JSON cannot carry one, so 1e999) is refused', async () => {
    const { request } = testApp();
    const res = await request('POST', '/v1/jobs', JSON.stringify(irisJob()).replace('"learningRate":0.01', '"learningRate":1e999'));
    assert.equal(res.status, 400);
    assert.match(res.json.message, /^optimizer\.learningRate:/);
  });

  it('malformed JSON is a 400 with a JSON body', async () => {
    const { request } = testApp();
    const res = await request('POST', '/v1/jobs', '{"dataset": ');
    assert.equal(res.status, 400);
    assert.equal(typeof res.json.message, 'string');
  });

  it('a body over the size limit is a 413 naming the limit', async () => {
    const { request } = testApp();
    const huge = mutate((j) => {
      j.name = 'x'.repeat(2 * 1024 * 1024);
    });
    const res = await request('POST', '/v1/jobs', huge);
    assert.equal(res.status, 413);
    assert.equal(res.json.error, 'payload_too_large');
    assert.match(res.json.message, /body: larger than the limit of 1048576 bytes/);
  });

  it('unknown ids are 404s and malformed ids 400s, everywhere', async () => {
    const { request } = testApp();
    const id = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/v1/jobs/${id}`,
      `/v1/jobs/${id}/metrics`,
      `/v1/jobs/${id}/model/model.json`,
      `/v1/jobs/${id}/model/weights.bin`,
      `/v1/jobs/${id}/optimizer-state`,
    ]) {
      const res = await request('GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json.error, 'not_found');
      assert.match(res.json.message, new RegExp(id));
    }
    assert.equal((await request('POST', `/v1/jobs/${id}/cancel`)).status, 404);
    const bad = await request('GET', '/v1/jobs/not-a-uuid');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^params id: /);
  });

  it('query parameters out of range and foreign cursors are 400s', async () => {
    const { request } = testApp();
    assert.match((await request('GET', '/v1/jobs?limit=0')).json.message, /querystring limit: must be at least 1/);
    assert.match((await request('GET', '/v1/jobs?status=done')).json.message, /querystring status/);
    assert.match((await request('GET', '/v1/jobs?cursor=abc')).json.message, /^cursor: /);
  });
});
