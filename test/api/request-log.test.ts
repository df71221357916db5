/**
 * Request log lines never hold a query value: a key sent as `?api_key=…` (or any secret in a
 * query string) is logged as the path and the parameter's name. Read from the log lines the
 * app writes, with the logger main.ts hands it.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { redactedUrl } from '../../src/api/request-log.ts';
import { buildTestApp } from '../helpers/app.ts';

test('query values never reach the request log: the path and the names are logged, each value redacted', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const { app } = await buildTestApp(t, {}, { logger: pino({ level: 'info' }, sink) });
  const answered: number[] = [];
  for (const url of [
    '/v1/jobs?api_key=trn_SECRET0000000000000000000000000000000000001&limit=5', // an unknown parameter: 400
    '/v1/jobs?limit=SECRET2', // a bad value: 400
    '/healthz?token=SECRET3', // a public route
    '/no/such/route?password=SECRET4',
    '/v1/jobs?trn_SECRET5000000000000000000000000000000000000000005', // a key as a bare name
    '/v1/jobs?a=1&a=SECRET6&%74oken=SECRET7#SECRET8',
    '/v1/jobs?' + 'x'.repeat(40) + '=SECRET9',
  ]) {
    answered.push((await app.inject({ method: 'GET', url })).statusCode);
  }
  assert.deepEqual(answered, [400, 400, 400, 404, 400, 400, 400]);
  const log = lines.join('');
  assert.doesNotMatch(log, /SECRET/, 'no query value in the log');
  const urls = lines.map((l) => JSON.parse(l)).flatMap((l) => (l.req?.url ? [l.req.url] : []));
  assert.ok(urls.includes('/v1/jobs?api_key=[redacted]&limit=[redacted]'), urls.join('\n'));
  assert.ok(urls.includes('/healthz?token=[redacted]'), urls.join('\n'));
  assert.ok(urls.includes('/no/such/route?password=[redacted]'), urls.join('\n'));
  assert.ok(urls.includes('/v1/jobs?[redacted]'), 'a name that may be a secret is redacted too');
  // Every request's line says its method and client, as Fastify's own serializer does.
  const incoming = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'incoming request');
  assert.equal(incoming.length, 7);
  for (const l of incoming) assert.equal(l.req.method, 'GET');
});

test('redactedUrl keeps the path and the shape of the query', () => {
  assert.equal(redactedUrl('/v1/jobs'), '/v1/jobs');
  assert.equal(redactedUrl('/v1/jobs?'), '/v1/jobs');
  assert.equal(redactedUrl('/v1/jobs?status=queued&limit=5'), '/v1/jobs?status=[redacted]&limit=[redacted]');
  assert.equal(redactedUrl('/v1/jobs?flag'), '/v1/jobs?flag=[redacted]');
  assert.equal(redactedUrl('/v1/jobs?=x'), '/v1/jobs?[redacted]');
});
