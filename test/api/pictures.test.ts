/**
 * The SVG charts on the real stack, each parsed as XML: the expected series (elements with
 * class "series"), the right number of points, and 4xx bodies for bad requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { api, finished, irisJob, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

function parseSvg(text: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') errors.push(message);
    },
  }).parseFromString(text, 'image/svg+xml');
  assert.deepEqual(errors, [], 'the SVG is well-formed XML');
  assert.equal(doc.documentElement!.tagName, 'svg');
  assert.equal(doc.documentElement!.getAttribute('width'), '800');
  assert.equal(doc.documentElement!.getAttribute('height'), '400');
  return doc;
}

const byClass = (doc: Document, cls: string): Element[] =>
  [...doc.getElementsByTagName('*')].filter((e) => (e.getAttribute('class') ?? '').split(' ').includes(cls));
const seriesNames = (doc: Document) => byClass(doc, 'series').map((e) => e.getAttribute('data-series'));
/** The dots path draws one zero-length segment ("h0") per point. */
const dotCount = (doc: Document) =>
  (
    byClass(doc, 'series')
      .find((e) => e.getAttribute('data-series') === 'loss (each step)')!
      .getAttribute('d')!
      .match(/h0/g) ?? []
  ).length;

async function svg(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('pictures', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: true });
  });
  after(() => service.close());

  it("a job's loss.svg has its steps, the smoothed line, one validation point per epoch and the learning rate", async () => {
    const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 4 } }));
    const job = await waitForJob(service.url, json.id, finished);
    assert.equal(job.status, 'succeeded');
    const res = await svg(`${service.url}/v1/jobs/${job.id}/loss.svg`);
    assert.equal(res.status, 200);
    assert.equal(res.type, 'image/svg+xml; charset=utf-8');
    const doc = parseSvg(res.text);
    assert.deepEqual(seriesNames(doc), ['loss (each step)', 'loss (smoothed)', 'learning rate', 'validation loss']);
    // 120 training irises in batches of 16: 8 steps an epoch.
    assert.equal(dotCount(doc), 4 * 8);
    const validation = byClass(doc, 'series').find((e) => e.getAttribute('data-series') === 'validation loss')!;
    assert.equal(validation.getElementsByTagName('circle').length, 4);
    assert.equal(byClass(doc, 'legend').length, 1);
  });

  it("a long job's curve is averaged into at most 1000 points", async () => {
    const long = {
      dataset: { builtin: 'xor', samples: 200 },
      model: {
        layers: [
          { type: 'dense', units: 4, activation: 'tanh' },
          { type: 'dense', units: 1, activation: 'sigmoid' },
        ],
        loss: 'binaryCrossentropy',
      },
      optimizer: { name: 'sgd', learningRate: 0.1 },
      training: { epochs: 60, batchSize: 8, seed: 1 },
    };
    const { json } = await api(service.url, 'POST', '/v1/jobs', long);
    const job = await waitForJob(service.url, json.id, finished);
    assert.equal(job.progress.step, 1500);
    const doc = parseSvg((await svg(`${service.url}/v1/jobs/${job.id}/loss.svg`)).text);
    // Buckets of ceil(1500 / 1000) = 2 steps.
    assert.equal(dotCount(doc), 750);
    assert.deepEqual(seriesNames(doc), ['loss (each step)', 'loss (smoothed)', 'learning rate']); // no validation split
  });

  it('a job with no steps yet draws an empty chart; an unknown job is a JSON 404', async () => {
    await service.stopWorkers();
    const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const doc = parseSvg((await svg(`${service.url}/v1/jobs/${json.id}/loss.svg`)).text);
    assert.deepEqual(seriesNames(doc), []);
    assert.match(doc.documentElement!.textContent!, /no steps recorded yet/);
    await api(service.url, 'POST', `/v1/jobs/${json.id}/cancel`);
    const missing = await api(service.url, 'GET', '/v1/jobs/00000000-0000-4000-8000-000000000000/loss.svg');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.details.field, 'id');
    assert.equal((await api(service.url, 'GET', '/v1/comparisons/00000000-0000-4000-8000-000000000000/loss.svg')).status, 404);
  });

  it('plot.svg draws contour lines, one path per optimizer ending where its trajectory ends, and the minimum', async () => {
    const optimizers = [
      { name: 'sgd', learningRate: 0.001 },
      { name: 'adam', learningRate: 0.05 },
      { name: 'rmsprop', learningRate: 0.01 },
    ];
    const body = { function: 'rosenbrock', start: [-1.5, 2], steps: 300, optimizers, range: { x: [-2, 2], y: [-1, 3] } };
    const res = await svg(`${service.url}/v1/trajectories/plot.svg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, res.text);
    const doc = parseSvg(res.text);
    assert.deepEqual(seriesNames(doc), ['sgd lr=0.001', 'adam lr=0.05', 'rmsprop lr=0.01']);
    assert.equal(byClass(doc, 'minimum').length, 1);
    assert.equal(byClass(doc, 'start').length, 1);
    assert.ok(byClass(doc, 'contour').length >= 10, 'contour levels');
    // Each path ends at its trajectory's last point: x pixel = 70 + (x + 2) / 4 × 650 (frame 70..720).
    for (const [i, optimizer] of optimizers.entries()) {
      const { json: t } = await api(service.url, 'POST', '/v1/trajectories', {
        function: 'rosenbrock',
        start: [-1.5, 2],
        steps: 300,
        optimizer,
      });
      const [x] = t.points[t.points.length - 1];
      const end = byClass(doc, 'series')[i].getElementsByTagName('circle')[0];
      assert.ok(Math.abs(Number(end.getAttribute('cx')) - (70 + ((x + 2) / 4) * 650)) < 0.1, `${optimizer.name} ends at x = ${x}`);
    }

    const saddle = parseSvg(
      (
        await svg(`${service.url}/v1/trajectories/plot.svg`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            function: 'saddle',
            start: [1, 0.001],
            steps: 50,
            optimizers: [
              { name: 'sgd', learningRate: 0.1 },
              { name: 'nadam', learningRate: 0.1 },
            ],
          }),
        })
      ).text,
    );
    assert.equal(seriesNames(saddle).length, 2);
    assert.equal(byClass(saddle, 'minimum').length, 0); // a saddle has none
  });

  it('plot.svg names the bad field', async () => {
    const ok = { function: 'beale', start: [1, 1], steps: 10, optimizers: [{ name: 'adam' }] };
    const cases: Array<[object, RegExp]> = [
      [{ ...ok, optimizers: [{ name: 'adam' }, { name: 'adam', beta1: 3 }] }, /^optimizers\[1\]\.beta1: /],
      [{ ...ok, optimizers: [] }, /optimizers/],
      [{ ...ok, function: 'sphere' }, /function/],
      [{ ...ok, steps: 0 }, /steps/],
      [{ ...ok, range: { x: [1, -1], y: [0, 1] } }, /^range\.x: must be \[low, high\]/],
      [{ ...ok, start: [1e39, 0] }, /^start\[0\]: must be a finite float32/],
    ];
    for (const [body, message] of cases) {
      const res = await api(service.url, 'POST', '/v1/trajectories/plot.svg', body);
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.message, message);
    }
  });
});
