/**
 * Tenants: another tenant's id answers exactly like an unknown id, on every route. The walk
 * reads the routes from the OpenAPI document, so a route added later without the tenant check
 * (or without a row in the table below) fails here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, freshTenant, keysDatabase, newKey } from '../helpers/auth.ts';
import { api, finished, irisJob, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

type Call = { status: number; json: any };

describe('tenants', () => {
  let service: TestService;
  let a: { key: string; tenant: string };
  let b: { key: string; tenant: string };
  const own: Record<string, string> = {};
  const as = (who: { key: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> =>
    api(service.url, method, path, body, { ...bearer(who.key), ...headers });

  before(async () => {
    const databaseUrl = await keysDatabase('tenants');
    a = await newKey(databaseUrl, { tenant: freshTenant('a') });
    b = await newKey(databaseUrl, { tenant: freshTenant('b') });
    service = await startService({ worker: true, env: { DATABASE_URL: databaseUrl, RATE_LIMIT_PER_SECOND: '1000' } });
    // Tenant A: a succeeded job (so its model files exist), a dataset, an uploaded model.
    const job = await as(a, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }));
    assert.equal(job.status, 201, JSON.stringify(job.json));
    assert.equal((await waitForJob(service.url, job.json.id, finished, bearer(a.key))).status, 'succeeded');
    own['/v1/jobs'] = job.json.id;
    const csv = await fetch(`${service.url}/v1/datasets?label=y`, {
      method: 'POST',
      body: 'x,y\n1,0\n2,1\n3,0\n4,1\n',
      headers: { 'content-type': 'text/csv', ...bearer(a.key) },
    });
    own['/v1/datasets'] = ((await csv.json()) as any).id;
    const modelJson = (await as(a, 'GET', `/v1/jobs/${job.json.id}/model/model.json`)).json;
    const weights = await (
      await fetch(`${service.url}/v1/jobs/${job.json.id}/model/weights.bin`, { headers: bearer(a.key) })
    ).arrayBuffer();
    const form = new FormData();
    form.append('model.json', new Blob([JSON.stringify(modelJson)]), 'model.json');
    form.append('weights.bin', new Blob([weights]), 'weights.bin');
    const model = await fetch(`${service.url}/v1/models`, { method: 'POST', body: form, headers: bearer(a.key) });
    assert.equal(model.status, 201);
    own['/v1/models'] = ((await model.json()) as any).id;
    // A comparison and a learning-rate test of A's (they need not finish for this test).
    const comparison = await as(a, 'POST', '/v1/comparisons', comparisonOf('adam', 'sgd'));
    assert.equal(comparison.status, 201, JSON.stringify(comparison.json));
    own['/v1/comparisons'] = comparison.json.id;
    const finder = await as(a, 'POST', '/v1/lr-finder', { base: irisJob({ training: { epochs: 1 } }), steps: 20 });
    assert.equal(finder.status, 201, JSON.stringify(finder.json));
    own['/v1/lr-finder'] = finder.json.id;
  });
  after(() => service?.close());

  const comparisonOf = (...names: string[]) => ({
    base: irisJob({ training: { epochs: 1 } }),
    variants: names.map((name) => ({ optimizer: { name } })),
  });

  /** What each route without an id must show, checked in the walk. */
  const collectionChecks: Record<string, () => Promise<void>> = {
    'GET /healthz': async () => {}, // public, no tenant data
    'GET /readyz': async () => {}, // public, no tenant data (its details: auth.test.ts)
    'POST /v1/trajectories': async () => {}, // computes a path, stores nothing
    'POST /v1/trajectories/plot.svg': async () => {}, // computes a picture, stores nothing
    'GET /v1/comparisons': async () => {
      assert.ok((await as(a, 'GET', '/v1/comparisons')).json.comparisons.some((c: any) => c.id === own['/v1/comparisons']));
      assert.ok(!(await as(b, 'GET', '/v1/comparisons')).json.comparisons.some((c: any) => c.id === own['/v1/comparisons']));
    },
    'POST /v1/comparisons': async () => {
      const made = await as(b, 'POST', '/v1/comparisons', comparisonOf('rmsprop', 'lion'));
      assert.equal(made.status, 201, JSON.stringify(made.json));
      assert.equal((await as(a, 'GET', `/v1/comparisons/${made.json.id}`)).status, 404, 'a comparison belongs to the tenant that made it');
      for (const jobId of made.json.jobs) assert.equal((await as(a, 'GET', `/v1/jobs/${jobId}`)).status, 404, 'and so do its jobs');
      await as(b, 'POST', `/v1/comparisons/${made.json.id}/cancel`);
    },
    'POST /v1/lr-finder': async () => {
      const made = await as(b, 'POST', '/v1/lr-finder', { base: irisJob({ training: { epochs: 1 } }), steps: 20 });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      assert.equal((await as(a, 'GET', `/v1/lr-finder/${made.json.id}`)).status, 404, 'a range test belongs to the tenant that made it');
    },
    'GET /v1/jobs': async () => {
      assert.ok((await as(a, 'GET', '/v1/jobs?limit=100')).json.jobs.some((j: any) => j.id === own['/v1/jobs']));
      assert.ok(!(await as(b, 'GET', '/v1/jobs?limit=100')).json.jobs.some((j: any) => j.id === own['/v1/jobs']));
    },
    'GET /v1/datasets': async () => {
      assert.ok((await as(a, 'GET', '/v1/datasets')).json.datasets.some((d: any) => d.id === own['/v1/datasets']));
      assert.ok(!(await as(b, 'GET', '/v1/datasets')).json.datasets.some((d: any) => d.id === own['/v1/datasets']));
    },
    'POST /v1/datasets': async () => {
      const res = await fetch(`${service.url}/v1/datasets?label=y`, {
        method: 'POST',
        body: 'x,y\n1,0\n2,1\n',
        headers: { 'content-type': 'text/csv', ...bearer(b.key) },
      });
      const id = ((await res.json()) as any).id;
      assert.equal((await as(b, 'GET', `/v1/datasets/${id}`)).status, 200);
      assert.equal((await as(a, 'GET', `/v1/datasets/${id}`)).status, 404, 'a dataset belongs to the tenant that uploaded it');
    },
    'POST /v1/models': async () => {}, // the upload above is A's: the walk shows B cannot see it
    'POST /v1/jobs': async () => {
      // References inside a new job: another tenant's id is refused exactly like an unknown one.
      const unknown = randomUUID();
      const refs: Array<[string, (id: string) => object]> = [
        ['/v1/jobs', (id) => ({ ...irisJob(), initFrom: { jobId: id } })],
        ['/v1/models', (id) => ({ ...irisJob(), initFrom: { modelId: id } })],
        ['/v1/datasets', (id) => ({ ...irisJob(), dataset: { id } })],
      ];
      for (const [collection, body] of refs) {
        const foreign = await as(b, 'POST', '/v1/jobs', body(own[collection]));
        const none = await as(b, 'POST', '/v1/jobs', body(unknown));
        assert.equal(foreign.status, 400, `${collection}: ${JSON.stringify(foreign.json)}`);
        assert.deepEqual(withoutId(foreign.json, own[collection]), withoutId(none.json, unknown), collection);
      }
    },
    'POST /v1/keys': async () => assert.equal((await as(b, 'POST', '/v1/keys', { name: 'x' })).status, 403),
    'GET /v1/keys': async () => assert.equal((await as(b, 'GET', '/v1/keys')).status, 403),
  };

  const withoutId = (body: unknown, id: string) => JSON.parse(JSON.stringify(body).replaceAll(id, '<id>'));

  it("every route of the OpenAPI document: another tenant's id answers 404 exactly like an unknown id", async () => {
    const doc = (await api(service.url, 'GET', '/openapi.json')).json;
    const seen: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const route = `${method.toUpperCase()} ${path}`;
        seen.push(route);
        if (!path.includes('{id}')) {
          const check = collectionChecks[route];
          assert.ok(check, `${route}: no tenant check for this route in tenants.test.ts; add one`);
          await check();
          continue;
        }
        if (operation.tags?.includes('admin')) {
          assert.equal((await as(b, method, path.replace('{id}', randomUUID()))).status, 403, route);
          continue;
        }
        const collection = /^\/v1\/[^/]+/.exec(path)?.[0] ?? '';
        const id = own[collection];
        assert.ok(id, `${route}: tenant A has no ${collection} resource in this test; create one in before()`);
        const unknown = randomUUID();
        const foreign = await as(b, method, path.replace('{id}', id));
        const none = await as(b, method, path.replace('{id}', unknown));
        assert.equal(foreign.status, 404, `${route}: ${JSON.stringify(foreign.json)}`);
        assert.deepEqual(withoutId(foreign.json, id), withoutId(none.json, unknown), route);
        // The id is A's and still there for A: B's request changed nothing.
        const mine = await as(a, method === 'delete' ? 'get' : method, path.replace('{id}', id));
        assert.notEqual(mine.status, 404, `${route} as the owner`);
      }
    }
    // The walk covered the routes this test knows are there (the document is not empty or partial).
    for (const route of [
      'GET /v1/jobs/{id}',
      'POST /v1/jobs/{id}/cancel',
      'GET /v1/jobs/{id}/metrics',
      'GET /v1/jobs/{id}/model/model.json',
      'GET /v1/jobs/{id}/model/weights.bin',
      'GET /v1/jobs/{id}/optimizer-state',
      'GET /v1/models/{id}',
      'GET /v1/datasets/{id}',
      'DELETE /v1/datasets/{id}',
      'DELETE /v1/keys/{id}',
    ]) {
      assert.ok(seen.includes(route), `${route} missing from /openapi.json`);
    }
    assert.equal((await as(a, 'GET', `/v1/jobs/${own['/v1/jobs']}`)).json.status, 'succeeded', "B's cancel did not touch A's job");
  });

  it("idempotency keys are the tenant's own: the same key from another tenant makes its own job and reveals nothing", async () => {
    const key = `k-${randomUUID()}`;
    const first = await as(a, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }), { 'idempotency-key': key });
    assert.equal(first.status, 201);
    const other = await as(b, 'POST', '/v1/jobs', irisJob({ training: { epochs: 2 } }), { 'idempotency-key': key });
    assert.equal(other.status, 201, JSON.stringify(other.json));
    assert.notEqual(other.json.id, first.json.id);
    assert.ok(!JSON.stringify(other.json).includes(first.json.id));
    const replay = await as(b, 'POST', '/v1/jobs', irisJob({ training: { epochs: 2 } }), { 'idempotency-key': key });
    assert.equal(replay.status, 200);
    assert.equal(replay.json.id, other.json.id);
    for (const id of [first.json.id, other.json.id])
      await waitForJob(service.url, id, finished, bearer(id === first.json.id ? a.key : b.key));
  });
});
