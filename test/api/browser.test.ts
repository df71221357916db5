/**
 * No way in from a web page: a page in the user's browser can send requests to a loopback
 * service (it cannot read the answers without CORS, but a POST acts all the same), and with
 * DNS rebinding it can read them too. Each state-changing route of the OpenAPI document gets a
 * browser-shaped cross-origin request, in open local mode, where nothing else stands in the way.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { keysDatabase } from '../helpers/auth.ts';
import { api, xorJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** What Chromium sends for a cross-site fetch(url, { method, mode: 'no-cors', body: text }). */
const crossSite = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' };

/** A request with a Host header of our choosing (fetch ignores one). */
function withHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser pages', () => {
  let service: TestService;
  let databaseUrl: string;
  before(async () => {
    databaseUrl = await keysDatabase('browser');
    service = await startService({ env: { DATABASE_URL: databaseUrl, RATE_LIMIT_PER_SECOND: '1000' } });
  });
  after(() => service?.close());

  it('every state-changing route refuses a cross-origin page (403) and changes nothing, in open mode', async () => {
    // A queued job (no worker runs here) and a dataset, for the routes that take an id.
    const job = await api(service.url, 'POST', '/v1/jobs', xorJob());
    assert.equal(job.status, 201);
    const dataset = await fetch(`${service.url}/v1/datasets?label=y`, {
      method: 'POST',
      body: 'x,y\n1,0\n2,1\n',
      headers: { 'content-type': 'text/csv' },
    });
    const ids: Record<string, string> = {
      '/v1/jobs': job.json.id,
      '/v1/datasets': ((await dataset.json()) as any).id,
      '/v1/keys': '00000000-0000-4000-8000-000000000000',
    };
    const doc = (await api(service.url, 'GET', '/openapi.json')).json;
    const tried: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(item).filter((m) => !['get', 'head', 'options'].includes(m))) {
        const id = ids[/^\/v1\/[^/]+/.exec(path)?.[0] ?? ''];
        const url = service.url + path.replace('{id}', id ?? '00000000-0000-4000-8000-000000000000');
        // A "simple" request: text/plain body (no CORS preflight), or no body at all.
        const body = method === 'post' && !path.endsWith('/cancel') ? '{"name":"from a page"}' : undefined;
        const res = await fetch(url, {
          method: method.toUpperCase(),
          body,
          headers: { ...crossSite, ...(body ? { 'content-type': 'text/plain' } : {}) },
        });
        const json = (await res.json()) as any;
        assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(json)}`);
        assert.equal(json.error, 'forbidden');
        assert.match(json.message, /^origin: /);
        tried.push(`${method} ${path}`);
      }
    }
    for (const route of [
      'post /v1/jobs',
      'post /v1/jobs/{id}/cancel',
      'post /v1/datasets',
      'delete /v1/datasets/{id}',
      'post /v1/models',
      'post /v1/keys',
    ]) {
      assert.ok(tried.includes(route), `${route} was walked`);
    }
    assert.equal((await api(service.url, 'GET', `/v1/jobs/${ids['/v1/jobs']}`)).json.status, 'queued', 'the cancel did not happen');
    assert.equal((await api(service.url, 'GET', `/v1/datasets/${ids['/v1/datasets']}`)).status, 200, 'the delete did not happen');
    const names = (await api(service.url, 'GET', '/v1/datasets')).json.datasets.map((d: any) => d.name);
    assert.ok(!names.includes('from a page'));
    await api(service.url, 'POST', `/v1/jobs/${ids['/v1/jobs']}/cancel`);
  });

  it('serves its own pages, clients without Origin, and reads; refuses Origin: null and a cross-site fetch without Origin', async () => {
    const own = new URL(service.url).host;
    const sameOrigin = await fetch(`${service.url}/v1/datasets?label=y`, {
      method: 'POST',
      body: 'x,y\n1,0\n2,1\n',
      headers: { 'content-type': 'text/plain', origin: `http://${own}`, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(sameOrigin.status, 201);
    assert.equal(
      (await fetch(`${service.url}/v1/jobs`, { headers: crossSite })).status,
      200,
      'a read: the page cannot see the answer without CORS',
    );
    for (const headers of [{ origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { origin: `http://${own}.evil.example` }] as Array<
      Record<string, string>
    >) {
      const res = await fetch(`${service.url}/v1/jobs/00000000-0000-4000-8000-000000000000/cancel`, { method: 'POST', headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
  });

  it('bound to loopback: a Host that is not a loopback name (DNS rebinding) is refused; ALLOWED_HOSTS adds names', async () => {
    const port = new URL(service.url).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, 'evil.example']) {
      const res = await withHost(`${service.url}/v1/jobs`, host);
      assert.equal(res.status, 403, host);
      assert.equal(JSON.parse(res.body).error, 'forbidden');
      assert.ok(!res.body.includes('evil.example'), 'the Host is not echoed');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      assert.equal((await withHost(`${service.url}/v1/jobs`, host)).status, 200, host);
    }
    const named = await startService({ env: { DATABASE_URL: databaseUrl, ALLOWED_HOSTS: 'trainer.lan, gpu-box' } });
    try {
      assert.equal((await withHost(`${named.url}/v1/jobs`, `trainer.lan:${new URL(named.url).port}`)).status, 200);
      assert.equal((await withHost(`${named.url}/v1/jobs`, 'gpu-box')).status, 200);
      assert.equal((await withHost(`${named.url}/v1/jobs`, 'other.lan')).status, 403);
    } finally {
      await named.close();
    }
  });

  it('CORS is off unless CORS_ORIGINS names an origin; then that origin may call (and only it)', async () => {
    const plain = await fetch(`${service.url}/v1/jobs`, { headers: { origin: 'http://app.example' } });
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const withCors = await startService({ env: { DATABASE_URL: databaseUrl, CORS_ORIGINS: 'http://app.example' } });
    try {
      const preflight = await fetch(`${withCors.url}/v1/datasets`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      assert.ok(preflight.status < 300, String(preflight.status));
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
      const post = await fetch(`${withCors.url}/v1/datasets?label=y`, {
        method: 'POST',
        body: 'x,y\n1,0\n2,1\n',
        headers: { 'content-type': 'text/csv', origin: 'http://app.example' },
      });
      assert.equal(post.status, 201);
      assert.equal(post.headers.get('access-control-allow-origin'), 'http://app.example');
      const other = await fetch(`${withCors.url}/v1/datasets?label=y`, {
        method: 'POST',
        body: 'x,y\n1,0\n',
        headers: { 'content-type': 'text/csv', origin: 'http://other.example' },
      });
      assert.equal(other.status, 403);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await withCors.close();
    }
  });

  it('security headers on the API (helmet); /docs keeps working without the strict CSP', async () => {
    const res = await fetch(`${service.url}/v1/jobs`);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    const docs = await fetch(`${service.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.equal(docs.headers.get('content-security-policy'), null);
    assert.equal(docs.headers.get('x-content-type-options'), 'nosniff');
    const refused = await fetch(`${service.url}/v1/jobs/00000000-0000-4000-8000-000000000000/cancel`, {
      method: 'POST',
      headers: crossSite,
    });
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff', 'refusals carry the headers too');
  });
});
