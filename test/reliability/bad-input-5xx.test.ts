/**
 * Inputs that once answered 500 (found by hand and by the fuzz test): each is now a 400 whose
 * message names the field, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** `[[[…1…]]]` nested `depth` deep, as JSON text (JSON.stringify of such a value would itself overflow). */
const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** The iris job as JSON text with `raw` (JSON text) put in as `extra` of `part`. */
function withRaw(part: 'dataset' | 'model' | 'optimizer', raw: string): string {
  const text = JSON.stringify({ ...irisJob(), name: `deep ${part}`, [part]: { ...irisJob()[part], extra: '@@' } });
  return text.replace('"@@"', raw);
}

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('inputs that used to answer 500', () => {
  let service: TestService;
  let jobId: string;

  before(async () => {
    service = await startService();
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name: 'bad-input-5xx target' });
    assert.equal(res.status, 201, res.text);
    jobId = res.json.id;
  });
  after(() => service.close());

  const refused = (res: Awaited<ReturnType<typeof api>>, field: string, words: RegExp) => {
    assert.equal(res.status, 400, res.text.slice(0, 500));
    assert.equal(res.json.error, 'invalid_request');
    assert.ok(res.json.message.startsWith(`${field}`), `message "${res.json.message.slice(0, 200)}" should name ${field}`);
    assert.match(res.json.message, words);
  };

  it('a NUL character in a job name is a 400 naming name, and no job is stored', async () => {
    const before = await service.db.job.count();
    refused(await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name: 'a\u0000b' }), 'name:', /NUL/);
    assert.equal(await service.db.job.count(), before);
  });

  it('a NUL anywhere in a JSON body, in a value or a key, is a 400 naming its path', async () => {
    const job = irisJob();
    refused(
      await api(service.url, 'POST', '/v1/jobs', {
        ...job,
        model: { ...job.model, layers: [job.model.layers[0], { ...job.model.layers[1], type: 'drop\u0000out' }] },
      }),
      'model.layers[1].type:',
      /NUL/,
    );
    refused(
      await api(service.url, 'POST', '/v1/jobs', { ...job, training: { ...job.training, 'see\u0000d': 1 } }),
      'training.see\u0000d:',
      /\(a key\).*NUL/,
    );
    refused(
      await api(service.url, 'POST', '/v1/trajectories', {
        function: 'rosenbrock\u0000',
        start: [0, 0],
        steps: 5,
        optimizer: { name: 'sgd', learningRate: 0.1 },
      }),
      'function:',
      /NUL/,
    );
  });

  it('an unpaired UTF-16 surrogate (jsonb refuses it) is a 400 naming the field', async () => {
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client would.
    refused(await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name: 'x\ud800y' }), 'name:', /surrogate/);
  });

  for (const depth of [10_000, 100_000]) {
    for (const part of ['dataset', 'model', 'optimizer'] as const) {
      it(`JSON nested ${depth} deep in a job's ${part} is a 400 naming the path`, async () => {
        const before = await service.db.job.count();
        refused(
          await api(service.url, 'POST', '/v1/jobs', withRaw(part, deepArray(depth))),
          `${part}.extra[0][0]`,
          /nested deeper than 64 levels/,
        );
        refused(
          await api(service.url, 'POST', '/v1/jobs', withRaw(part, deepObject(depth))),
          `${part}.extra.a.a`,
          /nested deeper than 64 levels/,
        );
        assert.equal(await service.db.job.count(), before);
      });
    }
  }

  it('JSON nested 100,000 deep anywhere else (top level, the playground) is a 400 too', async () => {
    refused(await api(service.url, 'POST', '/v1/jobs', deepArray(100_000)), '[0][0]', /nested deeper/);
    refused(
      await api(
        service.url,
        'POST',
        '/v1/trajectories',
        `{"function":"rosenbrock","start":[0,0],"steps":5,"optimizer":${deepObject(100_000)}}`,
      ),
      'optimizer.a.a',
      /nested deeper/,
    );
  });

  it("a list cursor holding a time outside PostgreSQL's range is a 400 naming cursor", async () => {
    const uuid = '3f0c9a52-6a39-4c8e-9d7e-2b8f1f0d6c11';
    for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '294277-01-01T00:00:00.000Z']) {
      refused(await api(service.url, 'GET', `/v1/jobs?cursor=${cursorOf(`${at}|${uuid}`)}`), 'cursor:', /not a cursor this API returned/);
    }
    // An id of the right length that is no UUID fails in PostgreSQL's uuid comparison.
    refused(
      await api(service.url, 'GET', `/v1/jobs?cursor=${cursorOf(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`)}`),
      'cursor:',
      /not a cursor/,
    );
  });

  it('a cursor the API returned still works', async () => {
    const first = await api(service.url, 'GET', '/v1/jobs?limit=1');
    assert.equal(first.status, 200);
    await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name: 'second page' }); // make sure a second job exists
    const page = await api(service.url, 'GET', `/v1/jobs?limit=1`);
    const next = await api(service.url, 'GET', `/v1/jobs?limit=1&cursor=${page.json.nextCursor}`);
    assert.equal(next.status, 200, next.text);
    assert.notEqual(next.json.jobs[0].id, page.json.jobs[0].id);
  });

  for (const fromStep of ['2147483648', '1e20', '9007199254740993']) {
    it(`GET /v1/jobs/:id/metrics?fromStep=${fromStep} is a 400 naming fromStep`, async () => {
      refused(
        await api(service.url, 'GET', `/v1/jobs/${jobId}/metrics?fromStep=${fromStep}`),
        'querystring fromStep:',
        /must be at most 2147483647/,
      );
    });
  }

  // Found by the fuzz test: ajv coerces these to Infinity and lets them through integer and maximum.
  for (const [path, field] of [
    ['/v1/jobs?limit=Infinity', 'limit'],
    ['/v1/datasets?limit=-Infinity', 'limit'],
    ['/v1/jobs/@/metrics?fromStep=1e400', 'fromStep'],
  ]) {
    it(`GET ${path} (an infinite number) is a 400 naming ${field}`, async () => {
      refused(await api(service.url, 'GET', path.replace('@', jobId)), `querystring ${field}:`, /is not a finite number/);
    });
  }

  it('the largest PostgreSQL integer is still a valid fromStep', async () => {
    const res = await api(service.url, 'GET', `/v1/jobs/${jobId}/metrics?fromStep=2147483647`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.steps, []);
  });

  it('a NUL in a query string is a 400 naming the parameter, on every route', async () => {
    refused(await api(service.url, 'GET', '/v1/jobs?cursor=%00'), 'querystring cursor:', /NUL/);
    const before = await service.db.dataset.count();
    const res = await fetch(`${service.url}/v1/datasets?name=a%00b`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'x,label\n1,a\n2,b\n',
    });
    refused({ status: res.status, json: await res.json(), text: '', headers: res.headers }, 'querystring name:', /NUL/);
    assert.equal(await service.db.dataset.count(), before);
  });
});
