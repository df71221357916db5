/**
 * Users' own data: CSV (raw body or multipart) and JSON uploads, stored in slices, listed,
 * trained on, protected from deletion while a job needs them; bad data refused whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadUploadedDataset } from '../../src/engine/dataset-loader.ts';
import { MAX_CHUNK_ROWS, rowsPerChunk } from '../../src/ingest/chunks.ts';
import { api, finished, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const upload = (service: TestService, body: string | Blob | FormData, type: string | null, query = '') =>
  fetch(`${service.url}/v1/datasets${query}`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as any,
  }));

/** A CSV of two well separated classes with text labels, in a seeded order. */
function twoBlobsCsv(rows: number): string {
  const lines = ['x1,x2,kind'];
  for (let i = 0; i < rows; i++) {
    const big = i % 2 === 0;
    lines.push(`${(big ? 2 : -2) + ((i * 7919) % 100) / 100},${(big ? 1 : -1) + ((i * 104729) % 100) / 100},${big ? 'large' : 'small'}`);
  }
  return lines.join('\n') + '\n';
}

describe('uploaded datasets', () => {
  let service: TestService;
  before(async () => {
    // 1 MiB: room for the three-slice upload below, and little to parse before the 413 of one over it.
    service = await startService({ env: { MAX_DATASET_BYTES: String(1024 * 1024) } });
  });
  after(() => service.close());

  it('a CSV with text labels becomes classes (sorted names → indices), and a job trains on it', async () => {
    const res = await upload(service, twoBlobsCsv(200), 'text/csv', '?label=kind&name=blobs');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(
      [res.json.rows, res.json.featureShape, res.json.labelKind, res.json.classes, res.json.labelColumn, res.json.name],
      [200, [2], 'classes', ['large', 'small'], 'kind', 'blobs'],
    );
    assert.equal((await api(service.url, 'GET', `/v1/datasets/${res.json.id}`)).json.rows, 200);
    assert.ok((await api(service.url, 'GET', '/v1/datasets')).json.datasets.some((d: any) => d.id === res.json.id));

    await service.startWorker();
    const job = await api(service.url, 'POST', '/v1/jobs', {
      dataset: { id: res.json.id },
      model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      optimizer: { name: 'adam', learningRate: 0.05 },
      training: { epochs: 10, batchSize: 20, validationSplit: 0.2, seed: 1 },
    });
    assert.equal(job.status, 201, job.text);
    const done = await waitForJob(service.url, job.json.id, finished);
    assert.equal(done.status, 'succeeded', done.error);
    const { json: m } = await api(service.url, 'GET', `/v1/jobs/${job.json.id}/metrics`);
    assert.ok(m.epochs[9].valAccuracy > 0.9, `separable blobs are learned: ${m.epochs[9].valAccuracy}`);
  });

  it('stores the rows exactly, across slices, with integer labels sorted numerically', async () => {
    // 40,000 rows: three slices (MAX_CHUNK_ROWS). Labels 10, 2, 1 → classes "1", "2", "10".
    assert.equal(rowsPerChunk(3, 1), MAX_CHUNK_ROWS);
    const rows = 40_000;
    const labels = ['10', '2', '1'];
    const lines = ['a,b,c,label'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${i % 7},${-i / 4},${labels[i % 3]}`);
    const res = await upload(service, lines.join('\n'), 'text/csv', '?label=label');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(res.json.classes, ['1', '2', '10']);
    const data = await loadUploadedDataset(service.config.DATABASE_URL, {
      id: res.json.id,
      samples: rows,
      info: { count: rows, featureShape: [3], target: { kind: 'classes', classes: 3 } },
    });
    for (const i of [0, 1, 2, MAX_CHUNK_ROWS - 1, MAX_CHUNK_ROWS, 2 * MAX_CHUNK_ROWS, rows - 1]) {
      assert.deepEqual([...data.features.subarray(i * 3, i * 3 + 3)], [i, i % 7, Math.fround(Number(`${-i / 4}`))]);
      assert.equal(data.targets[i], [2, 1, 0][i % 3], `row ${i}`);
    }
  });

  it('JSON { x, y }: images keep their shape, numeric labels with fractions are regression', async () => {
    const x = Array.from({ length: 6 }, (_, i) => [
      [i, i + 1],
      [i + 2, i + 3],
      [i + 4, i + 5],
    ]);
    const res = await upload(service, JSON.stringify({ x, y: [0.5, 1.5, 2.5, 3.5, 4.5, 5.5] }), 'application/json');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual([res.json.rows, res.json.featureShape, res.json.labelKind, res.json.classes], [6, [3, 2], 'regression', null]);
    const multi = await upload(
      service,
      JSON.stringify({
        x: [[1], [2]],
        y: [
          [1, 2],
          [3, 4],
        ],
      }),
      'application/json',
    );
    assert.deepEqual([multi.json.labelKind, multi.json.targetDims], ['regression', 2]);
  });

  it('a multipart upload with a file field works like a raw body', async () => {
    const form = new FormData();
    form.append('file', new Blob([twoBlobsCsv(10)], { type: 'text/csv' }), 'blobs.csv');
    const res = await upload(service, form, null, '?label=kind');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.json.rows, 10);
  });

  const BAD: Array<[string, string, string, string, number, RegExp]> = [
    ['a non-numeric feature', 'a,b,y\n1,2,p\n3,x,q\n', 'text/csv', '?label=y', 400, /^line 3, column "b": "x" is not a number/],
    ['rows of different lengths', 'a,b,y\n1,2,p\n3,q\n', 'text/csv', '?label=y', 400, /^line 3: has 2 fields, the header has 3/],
    ['an empty file', '', 'text/csv', '?label=y', 400, /^body: is empty/],
    [
      'a missing label column',
      'a,b,y\n1,2,p\n',
      'text/csv',
      '?label=species',
      400,
      /^label: no column "species" in the header \(columns: a, b, y\)/,
    ],
    ['no label parameter', 'a,b,y\n1,2,p\n', 'text/csv', '', 400, /^label: is required for CSV/],
    ['a label column with one class only', 'a,y\n1,p\n2,p\n', 'text/csv', '?label=y', 400, /^column "y": has one class only \(p\)/],
    [
      'ragged JSON examples',
      JSON.stringify({ x: [[1, 2], [3]], y: [0, 1] }),
      'application/json',
      '',
      400,
      /^x\[1\]: must have shape \[2\]/,
    ],
    ['JSON without y', JSON.stringify({ x: [[1, 2]] }), 'application/json', '', 400, /^y: must be an array with one label per example/],
    [
      'a file over the limit',
      // Long rows: parsing costs per row, and the body is parsed up to the limit before it is refused.
      `a,y\n${'1.000000000000000001,p\n2.000000000000000001,q\n'.repeat(25_000)}`,
      'text/csv',
      '?label=y',
      413,
      /^body: larger than the dataset limit of 1048576 bytes/,
    ],
    ['an unsupported content type', 'a', 'application/xml', '', 415, /^content-type: application\/xml is not accepted here/],
  ];
  for (const [what, body, type, query, status, message] of BAD) {
    it(`refuses ${what} (${status}), storing nothing`, async () => {
      const name = `bad ${what} ${Date.now()}`; // unique: the test database outlives runs
      const res = await upload(service, body, type, `${query}${query ? '&' : '?'}name=${encodeURIComponent(name)}`);
      assert.equal(res.status, status, JSON.stringify(res.json));
      assert.match(res.json.message, message);
      assert.equal(await service.db.dataset.count({ where: { name } }), 0);
    });
  }

  it('cannot be deleted while a queued job uses it; can once that job is canceled', async () => {
    const { json: ds } = await upload(service, twoBlobsCsv(20), 'text/csv', '?label=kind');
    await service.stopWorkers(); // no worker: the job stays queued
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', {
      dataset: { id: ds.id, samples: 10 },
      model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy' },
      optimizer: { name: 'sgd', learningRate: 0.1 },
      training: { epochs: 1, batchSize: 5 },
    });
    assert.equal(job.progress.totalSteps, 2, 'samples: 10 takes the first 10 rows');
    const refused = await api(service.url, 'DELETE', `/v1/datasets/${ds.id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.json.message, new RegExp(`used by queued job ${job.id}`));
    await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`);
    assert.equal((await api(service.url, 'DELETE', `/v1/datasets/${ds.id}`)).status, 204);
    assert.equal((await api(service.url, 'GET', `/v1/datasets/${ds.id}`)).status, 404);
    assert.equal(await service.db.datasetChunk.count({ where: { datasetId: ds.id } }), 0);
  });

  it('jobs naming an unknown dataset, or more samples than it has, are 400s', async () => {
    const { json: ds } = await upload(service, twoBlobsCsv(20), 'text/csv', '?label=kind');
    const body = (dataset: object) => ({
      dataset,
      model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy' },
      optimizer: { name: 'sgd', learningRate: 0.1 },
      training: { epochs: 1, batchSize: 5 },
    });
    const unknown = await api(service.url, 'POST', '/v1/jobs', body({ id: '00000000-0000-4000-8000-000000000000' }));
    assert.match(unknown.json.message, /^dataset\.id: no uploaded dataset/);
    const tooMany = await api(service.url, 'POST', '/v1/jobs', body({ id: ds.id, samples: 21 }));
    assert.match(tooMany.json.message, /^dataset\.samples: must be in \[1, 20\], got 21$/);
    const wrongOutput = await api(service.url, 'POST', '/v1/jobs', {
      ...body({ id: ds.id }),
      model: { layers: [{ type: 'dense', units: 3, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy' },
    });
    assert.match(wrongOutput.json.message, /needs \[2\]/);
  });
});
