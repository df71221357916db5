/**
 * Starting a job from another over HTTP: E1 epochs, then E2 more from its weights and
 * optimizer state, equals E1+E2 epochs in one job (adam, centered rmsprop with momentum,
 * nadam); an uploaded TensorFlow.js model starts a job too; what does not fit is a 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, finished, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const model = {
  layers: [
    { type: 'dense', units: 10, activation: 'relu' },
    { type: 'dropout', rate: 0.1 },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
  loss: 'categoricalCrossentropy',
};
const schedule = { type: 'cosine', initialLearningRate: 0.02, decaySteps: 60, warmupSteps: 5 };
const jobBody = (optimizer: object, epochs: number, initFrom?: object) => ({
  dataset: { builtin: 'iris' },
  model,
  optimizer,
  training: { epochs, batchSize: 20, validationSplit: 0.2, seed: 5 },
  ...(initFrom ? { initFrom } : {}),
});

describe('starting jobs from other jobs and from uploaded models', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: true });
  });
  after(() => service.close());

  async function runJob(body: object) {
    const res = await api(service.url, 'POST', '/v1/jobs', body);
    assert.equal(res.status, 201, res.text);
    const job = await waitForJob(service.url, res.json.id, finished);
    assert.equal(job.status, 'succeeded', job.error);
    return job;
  }
  const weights = async (id: string) =>
    new Float32Array(await (await fetch(`${service.url}/v1/jobs/${id}/model/weights.bin`)).arrayBuffer());
  const metrics = async (id: string) => (await api(service.url, 'GET', `/v1/jobs/${id}/metrics?limit=10000`)).json;

  for (const optimizer of [
    { name: 'adam', learningRate: schedule },
    { name: 'rmsprop', learningRate: schedule, centered: true, momentum: 0.5 },
    { name: 'nadam', learningRate: schedule },
  ]) {
    it(`${optimizer.name}${'centered' in optimizer ? ' (centered, momentum)' : ''}: 2 epochs + 3 resumed = 5 epochs`, async () => {
      const first = await runJob(jobBody(optimizer, 2));
      const resumed = await runJob(jobBody(optimizer, 3, { jobId: first.id, optimizerState: true }));
      const whole = await runJob(jobBody(optimizer, 5));
      assert.deepEqual(await weights(resumed.id), await weights(whole.id));

      const [m1, m2, m3] = await Promise.all([metrics(first.id), metrics(resumed.id), metrics(whole.id)]);
      assert.deepEqual(
        m2.epochs.map((e: any) => e.epoch),
        [3, 4, 5],
        'epochs continue the numbering',
      );
      assert.deepEqual(m2.steps, m3.steps.slice(m1.steps.length), 'steps continue: numbers, losses and the schedule');
      assert.equal(resumed.spec.training.seed, 5);
      assert.equal(resumed.progress.epochs, 5);
      const state = (await api(service.url, 'GET', `/v1/jobs/${resumed.id}/optimizer-state`)).json;
      assert.equal(state.iterations, m1.steps.length + m2.steps.length);
    });
  }

  it('refuses a source that does not fit, naming the field and the reason', async () => {
    const source = await runJob(jobBody({ name: 'adam', learningRate: 0.01 }, 1));
    const wider = {
      ...jobBody({ name: 'adam', learningRate: 0.01 }, 1, { jobId: source.id }),
      model: { ...model, layers: [{ type: 'dense', units: 12, activation: 'relu' }, model.layers[2]] },
    };
    const cases: Array<[object, RegExp]> = [
      [wider, /^initFrom\.jobId: model\.layers\[0\] \(dense\) kernel has shape \[4,12\] here but job .* has \[4,10\]/],
      [
        jobBody({ name: 'sgd', learningRate: 0.1 }, 1, { jobId: source.id, optimizerState: true }),
        /^initFrom\.optimizerState: job .* trained with adam, this job uses sgd/,
      ],
      [jobBody({ name: 'adam', learningRate: 0.1 }, 1, { jobId: '00000000-0000-4000-8000-000000000000' }), /^initFrom\.jobId: no job/],
      [jobBody({ name: 'adam', learningRate: 0.1 }, 1, { jobId: 'abc' }), /^initFrom\.jobId: must be the id/],
      [jobBody({ name: 'adam', learningRate: 0.1 }, 1, { jobId: source.id, weights: true }), /^initFrom\.weights: unknown field/],
    ];
    for (const [body, message] of cases) {
      const res = await api(service.url, 'POST', '/v1/jobs', body);
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.message, message);
    }
    const running = await api(service.url, 'POST', '/v1/jobs', jobBody({ name: 'adam', learningRate: 0.01 }, 200));
    const res = await api(service.url, 'POST', '/v1/jobs', jobBody({ name: 'adam', learningRate: 0.01 }, 1, { jobId: running.json.id }));
    assert.equal(res.status, 400);
    assert.match(res.json.message, /is (queued|running); a job can start only from a succeeded one/);
    await api(service.url, 'POST', `/v1/jobs/${running.json.id}/cancel`);
    await waitForJob(service.url, running.json.id, finished);
  });

  describe('uploaded models', () => {
    let source: any;
    let modelJson: any;
    let bin: ArrayBuffer;
    before(async () => {
      source = await runJob(jobBody({ name: 'adam', learningRate: 0.01 }, 2));
      modelJson = (await api(service.url, 'GET', `/v1/jobs/${source.id}/model/model.json`)).json;
      bin = await (await fetch(`${service.url}/v1/jobs/${source.id}/model/weights.bin`)).arrayBuffer();
    });
    const upload = (files: Record<string, Blob>) => {
      const form = new FormData();
      for (const [name, blob] of Object.entries(files)) form.append(name, blob, name);
      return fetch(`${service.url}/v1/models`, { method: 'POST', body: form }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as any,
      }));
    };

    it('a TensorFlow.js model uploaded as model.json + weights starts a job with exactly its weights', async () => {
      const res = await upload({ 'model.json': new Blob([JSON.stringify(modelJson)]), 'weights.bin': new Blob([bin]) });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.json.parameters, 4 * 10 + 10 + 10 * 3 + 3);
      assert.equal((await api(service.url, 'GET', `/v1/models/${res.json.id}`)).json.id, res.json.id);
      // A learning rate of 0 leaves the weights as they were loaded.
      const job = await runJob(jobBody({ name: 'sgd', learningRate: 0 }, 1, { modelId: res.json.id }));
      assert.deepEqual(await weights(job.id), new Float32Array(bin));
    });

    it('refuses uploads that are not whole, and models that do not fit', async () => {
      const missing = await upload({ 'model.json': new Blob([JSON.stringify(modelJson)]) });
      assert.equal(missing.status, 400);
      assert.match(missing.json.message, /^weights\.bin: is named by model\.json but was not uploaded/);
      const short = await upload({ 'model.json': new Blob([JSON.stringify(modelJson)]), 'weights.bin': new Blob([bin.slice(4)]) });
      assert.equal(short.status, 400);
      assert.match(short.json.message, /^model\.json\.weightsManifest\[0\]: its weights need 332 bytes but weights\.bin hold 328/);
      const noJson = await upload({ 'weights.bin': new Blob([bin]) });
      assert.match(noJson.json.message, /^model\.json: is missing/);
      const notMultipart = await api(service.url, 'POST', '/v1/models', { modelTopology: {} });
      assert.equal(notMultipart.status, 415);

      const ok = await upload({ 'model.json': new Blob([JSON.stringify(modelJson)]), 'weights.bin': new Blob([bin]) });
      const misfit = await api(service.url, 'POST', '/v1/jobs', {
        ...jobBody({ name: 'adam', learningRate: 0.01 }, 1, { modelId: ok.json.id }),
        model: { ...model, layers: [model.layers[0], { type: 'dense', units: 10, activation: 'relu' }, model.layers[2]] },
      });
      assert.equal(misfit.status, 400);
      assert.match(
        misfit.json.message,
        new RegExp(
          /^initFrom\.modelId: model\.layers\[1\] \(dense\) kernel has shape \[10,10\] here /.source +
            /but the uploaded model .*'s l2_dense\/kernel has \[10,3\]/.source,
        ),
      );
    });
  });
});
