/**
 * Comparisons on the real stack: four optimizers on one regression job, one of them made to
 * diverge. The table's numbers (computed in SQL) are checked against the jobs' own metrics as
 * GET /v1/jobs/:id/metrics returns them, recomputed here in JS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { api } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { untilValue } from '../helpers/until.ts';

/** y = W·x + b + noise, 200 examples: a few dozen steps per variant. */
const base = {
  dataset: { builtin: 'linear', samples: 200, features: 3 },
  model: {
    layers: [
      { type: 'dense', units: 8, activation: 'tanh' },
      { type: 'dense', units: 1 },
    ],
    loss: 'meanSquaredError',
  },
  training: { epochs: 6, batchSize: 20, validationSplit: 0.2 },
};

const TARGET = 1.0;

const waitForComparison = (url: string, id: string) =>
  untilValue(
    async () => (await api(url, 'GET', `/v1/comparisons/${id}`)).json,
    (c) => c.status === 'completed' || c.status === 'canceled',
    200,
  );

describe('comparisons', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ env: { MAX_COMPARISON_VARIANTS: '6' } });
  });
  after(() => service.close());

  it("four optimizers run on the same job; the table matches each job's metrics and a diverging variant fails alone", async () => {
    const res = await api(service.url, 'POST', '/v1/comparisons', {
      name: 'four',
      base,
      target: TARGET,
      variants: [
        { optimizer: { name: 'adam', learningRate: 0.01 } },
        { optimizer: { name: 'sgd', learningRate: 0.01 } },
        { optimizer: { name: 'rmsprop', learningRate: 0.01 } },
        // Diverges within its first epoch (GET /metrics cannot show an epoch whose valLoss is Infinity).
        { optimizer: { name: 'sgd', learningRate: 5000 } },
      ],
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, 'queued');
    assert.equal(res.json.metric, 'bestValLoss'); // the default with a validation split
    assert.equal(res.json.jobs.length, 4);
    assert.equal(res.headers.get('location'), `/v1/comparisons/${res.json.id}`);

    // Only the optimizer differs: the seed was drawn once for all.
    const jobs = await Promise.all(res.json.jobs.map(async (id: string) => (await api(service.url, 'GET', `/v1/jobs/${id}`)).json));
    const seeds = new Set(jobs.map((j) => j.spec.training.seed));
    assert.equal(seeds.size, 1);
    assert.deepEqual(new Set(jobs.map((j) => JSON.stringify({ ...j.spec, optimizer: null }))).size, 1);

    await service.startWorker();
    const view = await waitForComparison(service.url, res.json.id);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.rows.length, 4);
    assert.deepEqual(
      view.rows.map((r: any) => r.jobId),
      res.json.jobs,
    );
    assert.deepEqual(
      view.rows.map((r: any) => r.status),
      ['succeeded', 'succeeded', 'succeeded', 'failed'],
    );

    for (const row of view.rows) {
      const { json: m } = await api(service.url, 'GET', `/v1/jobs/${row.jobId}/metrics?limit=10000`);
      const epochs = m.epochs;
      assert.equal(row.finalLoss, epochs.length ? epochs[epochs.length - 1].loss : null);
      assert.equal(row.finalValLoss, epochs.length ? epochs[epochs.length - 1].valLoss : null);
      const vals = epochs.map((e: any) => e.valLoss).filter((v: unknown) => v !== undefined);
      assert.equal(row.bestValLoss, vals.length ? Math.min(...vals) : null);
      const hit = m.steps.find((s: any) => s.loss <= TARGET);
      assert.equal(row.stepToTarget, hit ? hit.step : null);
      assert.ok(row.wallSeconds > 0 && row.wallSeconds < 120, `wallSeconds ${row.wallSeconds}`);
      if (row.status === 'failed') {
        // The step named in the job's error is the one recorded, and no step after the last good one was stored.
        const job = (await api(service.url, 'GET', `/v1/jobs/${row.jobId}`)).json;
        const named = Number(/at step (\d+)/.exec(job.error)![1]);
        assert.equal(row.diverged, true);
        assert.equal(row.divergedAtStep, named);
        assert.equal(m.steps.length === 0 ? 0 : m.steps[m.steps.length - 1].step, named - 1);
      } else {
        assert.equal(row.diverged, false);
        assert.equal(row.divergedAtStep, null);
      }
    }
    const succeeded = view.rows.filter((r: any) => r.status === 'succeeded');
    const bestValue = Math.min(...succeeded.map((r: any) => r.bestValLoss));
    assert.equal(view.best.value, bestValue);
    assert.equal(view.best.jobId, succeeded.find((r: any) => r.bestValLoss === bestValue).jobId);
    assert.equal(view.best.metric, 'bestValLoss');

    const list = await api(service.url, 'GET', '/v1/comparisons?limit=100');
    assert.equal(list.status, 200);
    const listed = list.json.comparisons.find((c: any) => c.id === res.json.id);
    assert.equal(listed.status, 'completed');
    assert.deepEqual(listed.jobs, res.json.jobs);

    // The chart: one series per variant, named by its label, the diverged one marked in the legend.
    const chart = await fetch(`${service.url}/v1/comparisons/${res.json.id}/loss.svg`);
    assert.equal(chart.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    const doc = new DOMParser().parseFromString(await chart.text(), 'image/svg+xml');
    const series = [...doc.getElementsByTagName('g')].filter((g) => g.getAttribute('class') === 'series');
    assert.deepEqual(
      series.map((g) => g.getAttribute('data-series')),
      view.rows.map((r: any) => r.label),
    );
    assert.deepEqual(
      view.rows.map((r: any) => r.label),
      ['adam lr=0.01', 'sgd lr=0.01', 'rmsprop lr=0.01', 'sgd lr=5000'],
    );
    assert.match(doc.documentElement!.textContent!, new RegExp(`sgd lr=5000 \\(diverged at step ${view.rows[3].divergedAtStep}\\)`));

    const cancelDone = await api(service.url, 'POST', `/v1/comparisons/${res.json.id}/cancel`);
    assert.equal(cancelDone.status, 409);
  });

  it('a sweep runs every optimizer at every learning rate, and picks the best by the metric asked for', async () => {
    await service.stopWorkers();
    const res = await api(service.url, 'POST', '/v1/comparisons', {
      base: { ...base, training: { ...base.training, epochs: 2, seed: 5 } },
      sweep: { optimizers: ['adam', { name: 'sgd', momentum: 0.5 }], learningRates: [0.001, 0.05] },
      metric: 'finalLoss',
    });
    assert.equal(res.status, 201, res.text);
    const jobs = await Promise.all(res.json.jobs.map(async (id: string) => (await api(service.url, 'GET', `/v1/jobs/${id}`)).json));
    assert.deepEqual(
      jobs.map((j) => [j.spec.optimizer.name, j.spec.optimizer.learningRate, j.spec.training.seed]),
      [
        ['adam', 0.001, 5],
        ['adam', 0.05, 5],
        ['sgd', 0.001, 5],
        ['sgd', 0.05, 5],
      ],
    );
    assert.equal(jobs[2].spec.optimizer.momentum, 0.5);

    // Canceled while queued: every job is canceled and the comparison says so.
    const canceled = await api(service.url, 'POST', `/v1/comparisons/${res.json.id}/cancel`);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.json.status, 'canceled');
    assert.deepEqual(
      canceled.json.rows.map((r: any) => r.status),
      ['canceled', 'canceled', 'canceled', 'canceled'],
    );
    assert.equal(canceled.json.best, null);
  });

  it('bad requests are 400s naming the field of the request', async () => {
    const post = (body: object) => api(service.url, 'POST', '/v1/comparisons', body);
    const [comparisonsBefore, jobsBefore] = [await service.db.comparison.count(), await service.db.job.count()];
    const cases: Array<[object, string, RegExp]> = [
      [{ base }, 'variants', /either variants or sweep/],
      [{ base, variants: [{ optimizer: { name: 'adam' } }], sweep: { optimizers: ['sgd'] } }, 'sweep', /either variants or sweep/],
      [{ base, variants: [] }, 'variants', /at least one/],
      [{ base, sweep: { optimizers: ['adam', 'sgd', 'lion'], learningRates: [0.1, 0.01, 0.001] } }, 'sweep', /9 variants; at most 6/],
      [
        { base, variants: [{ optimizer: { name: 'adam' } }, { optimizer: { name: 'adam', beta1: 2 } }] },
        'variants[1].optimizer.beta1',
        /must be in/,
      ],
      [{ base, sweep: { optimizers: ['adam'], learningRates: [0.1, -1] } }, 'sweep.learningRates[1]', /./],
      [{ base, sweep: { optimizers: ['adamm'] } }, 'sweep.optimizers[0]', /must be one of/],
      [
        { base, sweep: { optimizers: [{ name: 'adam', learningRate: 1 }], learningRates: [0.1] } },
        'sweep.optimizers[0].learningRate',
        /sweep.learningRates/,
      ],
      [
        { base: { ...base, training: { ...base.training, epochs: 0 } }, variants: [{ optimizer: { name: 'adam' } }] },
        'base.training.epochs',
        /./,
      ],
      [{ base: { ...base, dataset: undefined }, variants: [{ optimizer: { name: 'adam' } }] }, 'base.dataset', /required/],
      [
        { base: { ...base, training: { epochs: 1, batchSize: 4 } }, variants: [{ optimizer: { name: 'adam' } }], metric: 'bestValLoss' },
        'metric',
        /validation split/,
      ],
      [{ base, variants: [{ optimizer: { name: 'adam' } }], metric: 'stepToTarget' }, 'metric', /target/],
    ];
    for (const [body, field, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.details.field, field, res.text);
      assert.match(res.json.message, message);
    }
    const schema = await post({ base, variants: [{ optimizer: { name: 'adam' } }], extra: 1 });
    assert.equal(schema.status, 400);
    assert.match(schema.json.message, /extra: unknown field/);
    const missing = await api(service.url, 'GET', '/v1/comparisons/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.details.field, 'id');
    assert.equal((await api(service.url, 'GET', '/v1/comparisons?cursor=xyz')).status, 400);
    // Nothing of a refused request was stored.
    assert.deepEqual([await service.db.comparison.count(), await service.db.job.count()], [comparisonsBefore, jobsBefore]);
  });
});

describe('comparisons with Redis down', () => {
  let service: TestService;
  // Nothing listens on port 1: every connection is refused.
  before(async () => {
    service = await startService({ env: { REDIS_URL: 'redis://127.0.0.1:1/0' } });
  });
  after(() => service.close());

  it('a comparison that cannot be queued answers 503 and leaves neither comparison nor jobs behind', async () => {
    const counts = async () => [await service.db.comparison.count(), await service.db.job.count(), await service.db.comparisonJob.count()];
    const before = await counts();
    const res = await api(service.url, 'POST', '/v1/comparisons', { base, sweep: { optimizers: ['adam', 'sgd'] } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.json.error, 'unavailable');
    assert.deepEqual(await counts(), before);
    const lr = await api(service.url, 'POST', '/v1/lr-finder', { base, optimizer: { name: 'adam' } });
    assert.equal(lr.status, 503, lr.text);
    assert.deepEqual(await counts(), before);
  });
});
