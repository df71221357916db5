/**
 * The learning-rate range test on a real short run: the rates the job used are the exponential
 * sweep asked for, the test ends, and the rate it suggests trains better than the sweep's start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { api, finished, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { untilValue } from '../helpers/until.ts';

const base = {
  dataset: { builtin: 'iris' },
  model: {
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ],
    loss: 'sparseCategoricalCrossentropy',
  },
  training: { epochs: 1, batchSize: 16, seed: 11 },
};

const waitForTest = (url: string, id: string) =>
  untilValue(
    async () => (await api(url, 'GET', `/v1/lr-finder/${id}`)).json,
    (test) => !['queued', 'running'].includes(test.status),
    200,
  );

describe('learning-rate range test', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: true });
  });
  after(() => service.close());

  it('sweeps the rate exponentially, ends, and suggests a rate that trains faster than the smallest', async () => {
    const res = await api(service.url, 'POST', '/v1/lr-finder', {
      name: 'iris adam',
      base,
      optimizer: { name: 'adam' },
      minLearningRate: 1e-5,
      maxLearningRate: 10,
      steps: 100,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `/v1/lr-finder/${res.json.id}`);
    // 150 irises in batches of 16: 10 steps an epoch, so 10 epochs cover the 100 steps.
    const job = (await api(service.url, 'GET', `/v1/jobs/${res.json.jobId}`)).json;
    assert.equal(job.spec.training.epochs, 10);
    assert.equal(job.spec.optimizer.learningRate.type, 'exponential');

    const view = await waitForTest(service.url, res.json.id);
    assert.equal(view.status, 'completed', JSON.stringify(view).slice(0, 500));
    assert.ok(view.points.length >= 20 && view.points.length <= 100, `${view.points.length} points`);
    for (const p of view.points) {
      const expected = 1e-5 * 1e6 ** ((p.step - 1) / 99); // six decades over 99 steps
      assert.ok(Math.abs(p.learningRate / expected - 1) < 1e-5, `step ${p.step}: rate ${p.learningRate}, expected ${expected}`);
    }
    assert.ok(['stopFactor', 'diverged', 'maxLearningRate'].includes(view.stop.reason));
    assert.ok(view.suggestion, 'a suggestion');
    assert.ok(view.suggestion.learningRate > 1e-5 && view.suggestion.learningRate < 10);
    assert.ok(view.suggestion.step < view.stop.step);

    // The point of the test: a short run at the suggested rate beats one at the sweep's start.
    const train = async (learningRate: number) => {
      const { json: j } = await api(service.url, 'POST', '/v1/jobs', {
        ...base,
        optimizer: { name: 'adam', learningRate },
        training: { ...base.training, epochs: 3 },
      });
      const done = await waitForJob(service.url, j.id, finished);
      assert.equal(done.status, 'succeeded');
      const { json: m } = await api(service.url, 'GET', `/v1/jobs/${j.id}/metrics`);
      return m.epochs[m.epochs.length - 1].loss;
    };
    const [atSuggestion, atMin] = [await train(view.suggestion.learningRate), await train(1e-5)];
    assert.ok(atSuggestion < atMin * 0.8, `loss after 3 epochs: ${atSuggestion} at the suggestion, ${atMin} at 1e-5`);

    const chart = await fetch(`${service.url}/v1/lr-finder/${res.json.id}/loss.svg`);
    assert.equal(chart.status, 200);
    const doc = new DOMParser().parseFromString(await chart.text(), 'image/svg+xml');
    const classes = [...doc.getElementsByTagName('*')].map((e) => e.getAttribute('class'));
    assert.equal(classes.filter((c) => c === 'series').length, 2);
    assert.equal(classes.filter((c) => c === 'suggestion').length, 1);
  });

  it('bad requests name the field', async () => {
    const cases: Array<[object, string]> = [
      [{ base, optimizer: { name: 'adam' }, minLearningRate: 1, maxLearningRate: 0.1 }, 'maxLearningRate'],
      [{ base }, 'optimizer'],
      [{ base, optimizer: { name: 'adam', beta1: 7 } }, 'optimizer.beta1'],
      [{ base: { ...base, optimizer: { name: 'nope' } } }, 'base.optimizer.name'],
      [{ base: { model: base.model, training: base.training }, optimizer: { name: 'adam' } }, 'base.dataset'],
      [
        { base: { ...base, training: { batchSize: 16, epochs: 1, validationSplit: 2 } }, optimizer: { name: 'adam' } },
        'base.training.validationSplit',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await api(service.url, 'POST', '/v1/lr-finder', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(res.json.details.field, field, res.text);
    }
    assert.equal((await api(service.url, 'POST', '/v1/lr-finder', { base, optimizer: { name: 'adam' }, steps: 5 })).status, 400);
    assert.equal((await api(service.url, 'GET', '/v1/lr-finder/00000000-0000-4000-8000-000000000000')).status, 404);
  });
});
