/**
 * GET /v1/jobs/:id/metrics?points=N against buckets computed here in JS from every row, and
 * ?format=csv|ndjson against the paged JSON. Rows of a long job are inserted with SQL (a
 * trained job too, for the real path).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, irisJob, waitForJob, finished } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

let service: TestService;
before(async () => {
  service = await startService({ worker: true });
});
after(async () => service?.close());

interface Row {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
}

/** A job row and `steps` step rows (losses from a seeded generator), straight into PostgreSQL. */
async function syntheticJob(steps: number[]): Promise<{ id: string; rows: Row[] }> {
  const id = randomUUID();
  await service.db.job.create({
    data: {
      id,
      status: 'succeeded',
      spec: {},
      progress: { epoch: 1, epochs: 1, step: steps.length, totalSteps: steps.length, loss: null, samplesPerSecond: 0 },
    },
  });
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = steps.map((step) => ({
    step,
    epoch: 1 + Math.floor(step / 100),
    loss: 3 * Math.exp(-step / 2000) + rand(),
    learningRate: 0.01 / (1 + step / 1000),
  }));
  await service.db.$executeRaw`
    INSERT INTO "StepMetric" ("jobId", "step", "epoch", "loss", "learningRate")
    SELECT ${id}::uuid, * FROM unnest(${rows.map((r) => r.step)}::int[], ${rows.map((r) => r.epoch)}::int[],
      ${rows.map((r) => r.loss)}::float8[], ${rows.map((r) => r.learningRate)}::float8[])`;
  return { id, rows };
}

/** The specification of the buckets, computed directly: equal widths over [first, last step]. */
function expectedBuckets(rows: Row[], n: number) {
  const lo = rows[0].step;
  const hi = rows[rows.length - 1].step;
  const groups = new Map<number, Row[]>();
  for (const r of rows) {
    const b = Math.floor(((r.step - lo) * n) / (hi - lo + 1));
    if (!groups.has(b)) groups.set(b, []);
    groups.get(b)!.push(r);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((b) => {
      const g = groups.get(b)!;
      const losses = g.map((r) => r.loss);
      return {
        firstStep: g[0].step,
        lastStep: g[g.length - 1].step,
        steps: g.length,
        minLoss: Math.min(...losses),
        maxLoss: Math.max(...losses),
        meanLoss: losses.reduce((s, v) => s + v, 0) / g.length,
        lastLoss: g[g.length - 1].loss,
        learningRate: g[g.length - 1].learningRate,
      };
    });
}

function assertBucketsEqual(actual: any[], expected: ReturnType<typeof expectedBuckets>) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const { meanLoss, ...exact } = expected[i];
    const { meanLoss: gotMean, ...gotExact } = actual[i];
    assert.deepEqual(gotExact, exact, `bucket ${i}`);
    assert.ok(Math.abs(gotMean - meanLoss) <= 1e-12 * Math.abs(meanLoss), `bucket ${i} mean ${gotMean} vs ${meanLoss}`);
  }
}

test('?points=N answers at most N buckets over the whole run, as computed directly from every row', async () => {
  // 10,007 steps with a hole (steps 4001–4500 missing) so widths do not divide evenly.
  const steps = Array.from({ length: 10_507 }, (_, i) => i + 1).filter((s) => s <= 4000 || s > 4500);
  const { id, rows } = await syntheticJob(steps);
  for (const n of [1, 7, 200, 10_000]) {
    const res = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?points=${n}`);
    assert.equal(res.status, 200);
    assert.ok(res.json.buckets.length <= n);
    assert.equal(res.json.steps, rows.length);
    assertBucketsEqual(res.json.buckets, expectedBuckets(rows, n));
  }
  const one = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?points=1`);
  assert.equal(one.json.buckets[0].firstStep, 1);
  assert.equal(one.json.buckets[0].lastStep, 10_507);
});

test('buckets of a trained job; with N above its step count every step is its own bucket', async () => {
  const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
  const job = await waitForJob(service.url, json.id, finished);
  assert.equal(job.status, 'succeeded');
  const all = (await api(service.url, 'GET', `/v1/jobs/${json.id}/metrics?limit=10000`)).json;
  const rows: Row[] = all.steps;
  for (const n of [10, 1000]) {
    const res = await api(service.url, 'GET', `/v1/jobs/${json.id}/metrics?points=${n}`);
    assertBucketsEqual(res.json.buckets, expectedBuckets(rows, n));
    assert.deepEqual(res.json.epochs, all.epochs);
  }
  const fine = (await api(service.url, 'GET', `/v1/jobs/${json.id}/metrics?points=1000`)).json.buckets;
  assert.deepEqual(
    fine.map((b: any) => b.firstStep),
    rows.map((r) => r.step),
  );
});

test('?format=csv and ?format=ndjson stream every step, the same values as the paged JSON', async () => {
  const { id, rows } = await syntheticJob(Array.from({ length: 25_003 }, (_, i) => i + 1)); // past a 10,000-row page, twice
  const csv = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = csv.text.trimEnd().split('\n');
  assert.equal(lines[0], 'step,epoch,loss,learningRate');
  assert.equal(lines.length, rows.length + 1);
  const parsed = lines.slice(1).map((l) => l.split(',').map(Number));
  assert.deepEqual(
    parsed,
    rows.map((r) => [r.step, r.epoch, r.loss, r.learningRate]),
  );

  const nd = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?format=ndjson`);
  assert.match(nd.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  const objects = nd.text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(objects, rows);
});

test('bad combinations and values are 400s naming the parameter', async () => {
  const { id } = await syntheticJob([1, 2, 3]);
  for (const [query, field] of [
    ['points=0', 'points'],
    ['points=10001', 'points'],
    ['points=abc', 'points'],
    ['format=xml', 'format'],
    ['points=5&format=csv', 'points'],
  ]) {
    const res = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.json.error, 'invalid_request');
    assert.match(res.json.message, new RegExp(field), query);
  }
  const empty = await syntheticJob([]);
  const none = await api(service.url, 'GET', `/v1/jobs/${empty.id}/metrics?points=10`);
  assert.equal(none.status, 200);
  assert.deepEqual(none.json.buckets, []);
  assert.equal((await api(service.url, 'GET', `/v1/jobs/${empty.id}/metrics?format=csv`)).text, 'step,epoch,loss,learningRate\n');
});
