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
import { until, untilValue } from '../helpers/until.ts';

const SECRET = 'test-webhook-secret-0123456789';
// Every API process runs a dispatcher for every delivery of the database: each test closes
// its services, so one with another secret cannot send the next test's calls.
const services: TestService[] = [];
const closeAll = async () => {
  for (const s of services.splice(0)) await s.close();
};
after(closeAll);

/** A receiver on this machine that counts the calls it gets. */
async function countingReceiver(host: string) {
  let calls = 0;
  const receiver = createServer((_req, res) => {
    calls++;
    res.end();
  });
  await new Promise<void>((r) => receiver.listen(0, host, r));
  after(() => receiver.close());
  return { port: (receiver.address() as AddressInfo).port, calls: () => calls };
}

/** Writes a delivery row for each URL, as a job's end would, and waits until each has failed once. */
async function deliverAndFail(service: TestService, urls: string[]): Promise<Array<{ url: string; lastError: string | null }>> {
  const ids: string[] = [];
  for (const url of urls) {
    const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    ids.push(json.id);
    await service.db.$executeRaw`INSERT INTO "WebhookDelivery" ("jobId", "url", "event") VALUES (${json.id}::uuid, ${url}, 'succeeded')`;
  }
  const rows = await untilValue(
    () =>
      service.db.$queryRaw<
        Array<{ url: string; lastError: string | null }>
      >`SELECT "url", "lastError" FROM "WebhookDelivery" WHERE "jobId" = ANY(${ids}::uuid[])`,
    (found) => found.length === urls.length && found.every((r) => r.lastError),
  );
  // Their retries must not meet a later test's dispatcher (some allow private addresses).
  await service.db.$executeRaw`DELETE FROM "Job" WHERE "id" = ANY(${ids}::uuid[])`;
  return rows;
}

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
    assert.match(res.json.message, /^notify\.url: .*(not a public address|not resolve)/, url);
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

/** Every IPv6 spelling of a private, loopback or special address, and the public forms beside them. */
const REFUSED_FORMS: Array<[url: string, why: RegExp]> = [
  // IPv4-mapped ::ffff:0:0/96, dotted and hex; IPv4-translated ::ffff:0:0:0/96.
  ['http://[::ffff:127.0.0.1]:8080/', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['http://[::ffff:7f00:1]/', /IPv4-mapped 127\.0\.0\.1: loopback/],
  ['http://[0:0:0:0:0:ffff:a00:1]/', /IPv4-mapped 10\.0\.0\.1: private/],
  ['http://[::ffff:169.254.169.254]/', /IPv4-mapped 169\.254\.169\.254: link-local/],
  ['http://[::ffff:0:c0a8:1]/', /IPv4-translated .*192\.168\.0\.1: private/],
  // IPv4-compatible ::/96 (the probe's hole: ::7f00:1 read as plain unicast).
  ['http://[::127.0.0.1]:8080/', /IPv4-compatible/],
  ['http://[::7f00:1]/', /IPv4-compatible/],
  ['http://[::10.0.0.1]/', /IPv4-compatible/],
  ['http://[::8.8.8.8]/', /IPv4-compatible/],
  // NAT64: the well-known prefix judged by the IPv4 it carries; the local-use one refused.
  ['http://[64:ff9b::127.0.0.1]/', /NAT64 .*127\.0\.0\.1: loopback/],
  ['http://[64:ff9b::a9fe:a9fe]/', /NAT64 .*169\.254\.169\.254: link-local/],
  ['http://[64:ff9b::192.168.1.1]/', /NAT64 .*192\.168\.1\.1: private/],
  ['http://[64:ff9b:1::a00:1]/', /local-use NAT64/],
  ['http://[64:ff9b:1::808:808]/', /local-use NAT64/],
  // 6to4 2002::/16 of a private IPv4; Teredo 2001::/32 with a private server or client.
  ['http://[2002:7f00:1::1]/', /6to4 127\.0\.0\.1: loopback/],
  ['http://[2002:a00:1::]/', /6to4 10\.0\.0\.1: private/],
  ['http://[2002:c0a8:101::1]/', /6to4 192\.168\.1\.1: private/],
  ['http://[2001:0:a00:1::f7f7:f7f7]/', /Teredo 10\.0\.0\.1: private/],
  ['http://[2001:0:808:808::f5ff:fffe]/', /Teredo 10\.0\.0\.1: private/],
  // Site-local, unique-local, link-local, loopback, unspecified, multicast, and the rest.
  ['http://[fec0::1]/', /site-local/],
  ['http://[feff::1]/', /site-local/],
  ['http://[fc00::1]/', /unique-local/],
  ['http://[fd12:3456::1]/', /unique-local/],
  ['http://[fe80::1]/', /link-local/],
  ['http://[febf::1]/', /link-local/],
  ['http://[::1]/', /loopback/],
  ['http://[0:0:0:0:0:0:0:1]/', /loopback/],
  ['http://[::]/', /unspecified/],
  ['http://[ff02::1]/', /multicast/],
  ['http://[ff05::1:3]/', /multicast/],
  ['http://[100::1]/', /discard/],
  ['http://[2001:db8::1]/', /reserved/],
  ['http://[4000::1]/', /outside global unicast/],
];
const ACCEPTED_FORMS = [
  'https://8.8.8.8/hook',
  'http://[2606:4700:4700::1111]/hook',
  'http://[2a00:1450:4001::200e]:8443/hook',
  'http://[::ffff:8.8.8.8]/hook',
  'http://[64:ff9b::8.8.8.8]/hook',
  'http://[2002:808:808::1]/hook',
  'http://[2001:0:808:808::f7f7:f7f7]/hook',
];

test('every IPv6 form of a private address is refused at submit, naming notify.url and the form; public forms are accepted', async () => {
  const service = await startService({ env: { WEBHOOK_SECRET: SECRET } });
  services.push(service);
  for (const [url, why] of REFUSED_FORMS) {
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url } });
    assert.equal(res.status, 400, url);
    assert.equal(res.json.error, 'invalid_request', url);
    assert.equal(res.json.details.field, 'notify.url', url);
    assert.match(res.json.message, /^notify\.url: [0-9a-f:.]+ is not a public address \(/, url);
    assert.match(res.json.message, why, url);
  }
  for (const url of ACCEPTED_FORMS) {
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), notify: { url } });
    assert.equal(res.status, 201, `${url}: ${res.text}`);
    assert.equal(res.json.spec.notify.url, new URL(url).toString());
    // Gone before anything could end it: ending it (a cancel too) would call a public address.
    await service.db.$executeRaw`DELETE FROM "Job" WHERE "id" = ${res.json.id}::uuid`;
  }
  await closeAll();
});

test('at delivery the IPv6 forms of loopback are refused too, and nothing is called', async () => {
  // Dual-stack: a call that got through on any of these forms would reach it.
  const receiver = await countingReceiver('::');
  const service = await startService({ env: { WEBHOOK_SECRET: SECRET } });
  services.push(service);
  // As if the check at submit had been passed (an older server, a row written by hand).
  const forms = ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '[::7f00:1]', '[::1]', '[64:ff9b::7f00:1]'];
  const rows = await deliverAndFail(
    service,
    forms.map((host) => `http://${host}:${receiver.port}/`),
  );
  assert.equal(rows.length, forms.length);
  for (const row of rows) assert.match(row.lastError ?? '', /not a public address/, row.url);
  assert.equal(receiver.calls(), 0);
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

  await until(() => received.length >= 2, 100);
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
  const receiver = await countingReceiver('127.0.0.1');
  const service = await startService({ env: { WEBHOOK_SECRET: SECRET } });
  services.push(service);
  // As if the name had resolved to a public address at submit and to 127.0.0.1 now (DNS rebinding).
  const [row] = await deliverAndFail(service, [`http://localhost:${receiver.port}/`]);
  assert.match(row?.lastError ?? '', /not a public address/);
  assert.equal(receiver.calls(), 0);
  await closeAll();
});
