/**
 * Webhooks: `notify: { url }` on a job; a signed POST when it ends, retried on failure; URLs
 * that resolve to loopback, private or link-local addresses refused unless
 * WEBHOOK_ALLOW_PRIVATE=true. The signature is checked here with node:crypto directly, from
 * the documented recipe (HMAC-SHA256 of "<timestamp>.<body>").
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, irisJob, waitForJob, finished } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const SECRET = 'test-webhook-secret-0123456789';
// Every API process runs a dispatcher for every delivery of the database: each test closes
// its services, so one with another secret cannot send the next test's calls.
const services: TestService[] = [];
const closeAll = async () => {
  for (const s of services.splice(0)) await s.close();
};
after(closeAll);

test('a job URL on loopback, a private network or link-local is refused at submit, named and explained', async () => {
  const service = await startService({ env: { WEBHOOK_SECRET: SECRET } });
  services.push(service);
  for (const url of [
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://10.1.2.3/x',
    'http://192.168.0.10/x',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/x',
    'http://[fd00::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://0x7f.1/x',
  ]) {
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url } });
    assert.equal(res.status, 400, url);
    assert.equal(res.json.error, 'invalid_request');
    assert.match(res.json.message, /^notify\.url: .*(loopback, private or link-local|not resolve)/, url);
  }
  for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/']) {
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url } });
    assert.equal(res.status, 400, url);
    assert.match(res.json.message, /^notify\.url: /);
  }
  const extra = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url: 'https://example.com/', method: 'PUT' } });
  assert.equal(extra.status, 400);
  assert.match(extra.json.message, /notify\.method: unknown field/);
  await closeAll();
});

test('without WEBHOOK_SECRET the server refuses notify instead of sending unsigned calls', async () => {
  const service = await startService({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  services.push(service);
  const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url: 'http://127.0.0.1:9/x' } });
  assert.equal(res.status, 400);
  assert.match(res.json.message, /^notify: .*WEBHOOK_SECRET/);
  await closeAll();
});

test('a finished job POSTs once to its notify URL, signed; a failed call is retried', async () => {
  const received: Array<{ headers: IncomingHttpHeaders; body: string; at: number }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      res.statusCode = received.length === 1 ? 503 : 204; // the first call fails: it must be retried
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  after(() => receiver.close());
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/trainer?x=1`;

  const service = await startService({ worker: true, env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' } });
  services.push(service);
  // A second API process: both run a dispatcher, and the delivery must still happen once.
  const other = await startService({ env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' } });
  services.push(other);
  const submitted = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url } });
  assert.equal(submitted.status, 201);
  assert.deepEqual(submitted.json.spec.notify, { url });
  const job = await waitForJob(service.url, submitted.json.id, finished);
  assert.equal(job.status, 'succeeded');

  const deadline = Date.now() + 20_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 3000)); // room for a wrong third call
  assert.equal(received.length, 2, 'one failed call, one retry, nothing more');
  const [first, second] = received;
  assert.equal(first.headers['webhook-id'], second.headers['webhook-id'], 'the retry is the same delivery');
  assert.ok(second.at - first.at >= 1500, 'the retry waited its backoff');
  for (const call of received) {
    assert.equal(call.headers['content-type'], 'application/json');
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['webhook-signature']));
    assert.ok(sig, String(call.headers['webhook-signature']));
    assert.equal(sig[1], call.headers['webhook-timestamp']);
    const expected = createHmac('sha256', SECRET).update(`${sig[1]}.${call.body}`).digest('hex');
    assert.equal(sig[2], expected);
    const payload = JSON.parse(call.body);
    assert.equal(payload.type, 'job.finished');
    assert.equal(payload.job.id, job.id);
    assert.equal(payload.job.status, 'succeeded');
  }
  await closeAll();
});

test('at delivery the address is checked again: a name that now resolves to loopback is not called', async () => {
  let calls = 0;
  const receiver = createServer((_req, res) => {
    calls++;
    res.end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  after(() => receiver.close());
  const service = await startService({ env: { WEBHOOK_SECRET: SECRET } });
  services.push(service);
  const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
  // As if the name had resolved to a public address at submit and to 127.0.0.1 now (DNS rebinding).
  const url = `http://localhost:${(receiver.address() as AddressInfo).port}/`;
  await service.db.$executeRaw`INSERT INTO "WebhookDelivery" ("jobId", "url", "event") VALUES (${json.id}::uuid, ${url}, 'succeeded')`;
  const deadline = Date.now() + 10_000;
  let row: Array<{ lastError: string | null; attempts: number }> = [];
  while (Date.now() < deadline) {
    row = await service.db.$queryRaw`SELECT "lastError", "attempts" FROM "WebhookDelivery" WHERE "jobId" = ${json.id}::uuid`;
    if (row[0]?.lastError) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(row[0]?.lastError ?? '', /loopback, private or link-local|not a public address/);
  assert.equal(calls, 0);
  await closeAll();
});
