/**
 * Input taken as sent, and every refusal in one shape: a body field of the wrong type is not
 * coerced, unknown query parameters are named, multipart uploads with extra parts are a 400,
 * and Fastify's own errors (long or broken URLs, no route) use `{ error, message, details }`
 * without echoing the URL.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { keysDatabase } from '../helpers/auth.ts';
import { api, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** Raw bytes on a socket: fetch would refuse to send some of these requests. */
function raw(url: string, request: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('end', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }),
    );
    socket.on('error', reject);
  });
}

const sameShape = (body: any) => {
  assert.deepEqual(Object.keys(body).sort(), ['details', 'error', 'message'], JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
};

describe('strict input', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ env: { DATABASE_URL: await keysDatabase('strict') } });
  });
  after(() => service?.close());

  it('body fields are not coerced: "name": 123 is a 400 naming the field', async () => {
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name: 123 });
    assert.equal(res.status, 400);
    sameShape(res.json);
    assert.match(res.json.message, /^name: must be string/);
    const flag = await api(service.url, 'POST', '/v1/keys', { name: 'x', role: ['admin'] });
    assert.equal(flag.status, 400, 'a one-element array is not coerced to its element either');
  });

  it('query strings are still read as numbers where a number is declared', async () => {
    assert.equal((await api(service.url, 'GET', '/v1/jobs?limit=5')).status, 200);
    const bad = await api(service.url, 'GET', '/v1/jobs?limit=five');
    assert.equal(bad.status, 400);
    sameShape(bad.json);
  });

  it('unknown query parameters are a 400 naming them, on routes with and without a query schema', async () => {
    const two = await api(service.url, 'GET', '/v1/jobs?limit=5&colour=red&size=9');
    assert.equal(two.status, 400);
    sameShape(two.json);
    assert.match(two.json.message, /colour, size/);
    assert.deepEqual(two.json.details.unknown, ['colour', 'size']);
    const none = await api(service.url, 'GET', '/v1/jobs/00000000-0000-4000-8000-000000000000?verbose=1');
    assert.equal(none.status, 400);
    assert.match(none.json.message, /verbose/);
    assert.equal((await api(service.url, 'GET', '/healthz?x=1')).status, 400);
  });

  it('a multipart upload with more fields or parts than the route takes is a 400', async () => {
    const form = new FormData();
    form.append('note', 'an extra field');
    form.append('file', new Blob(['x,y\n1,0\n2,1\n']), 'a.csv');
    const res = await fetch(`${service.url}/v1/datasets?label=y`, { method: 'POST', body: form });
    const body = (await res.json()) as any;
    assert.equal(res.status, 400, JSON.stringify(body));
    sameShape(body);
    const twoFiles = new FormData();
    twoFiles.append('file', new Blob(['x,y\n1,0\n2,1\n']), 'a.csv');
    twoFiles.append('file', new Blob(['x,y\n1,0\n2,1\n']), 'b.csv');
    const name = `two-files-${Date.now()}`; // this run's own: the database outlives runs
    const two = await fetch(`${service.url}/v1/datasets?label=y&name=${name}`, { method: 'POST', body: twoFiles });
    const twoBody = (await two.json()) as any;
    assert.equal(two.status, 400, JSON.stringify(twoBody));
    sameShape(twoBody);
    const stored = (await api(service.url, 'GET', '/v1/datasets')).json.datasets;
    assert.ok(!stored.some((d: any) => d.name === name), 'nothing of the refused upload stays');
    const model = new FormData();
    for (let i = 0; i < 70; i++) model.append(`f${i}`, new Blob(['x']), `f${i}.bin`);
    const many = await fetch(`${service.url}/v1/models`, { method: 'POST', body: model });
    const manyBody = (await many.json()) as any;
    assert.equal(many.status, 400, JSON.stringify(manyBody));
    sameShape(manyBody);
  });

  it('a too-long URL is a 414, a malformed one a 400, an unknown route a 404: same shape, the URL never echoed', async () => {
    const marker = 'ECHOCHECK';
    const long = await api(service.url, 'GET', `/v1/jobs?cursor=${marker}${'a'.repeat(5000)}`);
    assert.equal(long.status, 414);
    sameShape(long.json);
    const huge = await raw(service.url, `GET /v1/jobs/${marker}${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(huge.status, 431);
    sameShape(JSON.parse(huge.body));
    const broken = await api(service.url, 'GET', `/v1/jobs/${marker}%zz`);
    assert.equal(broken.status, 400);
    sameShape(broken.json);
    const missing = await api(service.url, 'GET', `/v1/${marker}<script>`);
    assert.equal(missing.status, 404);
    sameShape(missing.json);
    const garbage = await raw(service.url, 'NOT-HTTP\r\n\r\n');
    assert.equal(garbage.status, 400);
    sameShape(JSON.parse(garbage.body));
    for (const res of [long.text, huge.body, broken.text, missing.text]) assert.ok(!res.includes(marker), res.slice(0, 200));
  });
});
