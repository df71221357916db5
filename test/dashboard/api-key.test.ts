/**
 * The dashboard with API keys on, in Chromium: the first 401 asks for a key, a refused key is
 * asked for again, the accepted one is kept in sessionStorage and sent as a Bearer token on
 * every request, the event stream (read with fetch) included, with Last-Event-ID.
 *
 * This serves the built dashboard next to a small stand-in for the documented contract (401 +
 * `WWW-Authenticate: Bearer` without the key; `GET /v1/jobs`, `/v1/comparisons` and one job's SSE
 * stream with it), so that it can see every header the page sends and cut the stream mid-event.
 * real-keys.test.ts runs the same prompt against the service's real keys.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { buildWeb } from '../../scripts/build-web.ts';
import { dashboardRoutes } from '../../src/api/dashboard.ts';
import { launchChromium, noChromium as skip } from '../helpers/chromium.ts';

const KEY = 'tk_test_0123456789';
const JOB_ID = '0b6f3e4e-7a3c-4a51-9d7e-3f1c2f9b1a00';
const OUT = join(import.meta.dirname, '..', '..', 'dist', 'web-api-key-test');

let app: FastifyInstance;
let url: string;
let browser: import('playwright-core').Browser;
const seen: { path: string; authorization?: string; lastEventId?: string }[] = [];

const job = (status: string, step: number) => ({
  id: JOB_ID,
  name: 'keyed',
  status,
  backend: 'wasm',
  attempts: 1,
  progress: { epoch: 1, epochs: 2, step, totalSteps: 20, loss: 0.5, samplesPerSecond: 100 },
  createdAt: '2026-11-30T21:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  spec: { optimizer: { name: 'adam' } },
});

before(async () => {
  if (skip) return;
  await buildWeb(OUT);
  app = Fastify();
  await app.register(dashboardRoutes(OUT));
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    seen.push({ path: req.url, authorization: req.headers.authorization, lastEventId: req.headers['last-event-id'] as string | undefined });
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'authorization: a valid API key is required', details: { field: 'authorization' } });
    }
  };
  app.get('/v1/jobs', { onRequest: guard }, async () => ({ jobs: [job('running', 5)], nextCursor: null }));
  app.get('/v1/comparisons', { onRequest: guard }, async () => ({ comparisons: [], nextCursor: null }));
  app.get('/v1/jobs/:id/events', { onRequest: guard }, async (_req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 1000\n\nevent: status\ndata: {"status":"running","attempts":1,"finishedAt":null}\n\n');
    // Split across writes, as a network may deliver it.
    res.write('event: progress\ndata: {"epoch":2,"epochs":2,"step":20,"totalSteps":20,');
    setTimeout(() => {
      res.write('"loss":0.25,"samplesPerSecond":120}\n\n: ping\n\n');
      res.end('event: status\ndata: {"status":"succeeded","attempts":1,"finishedAt":"2026-11-30T21:00:05.000Z"}\n\n');
    }, 100);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

test('the page asks for a key, asks again when it is refused, and sends it everywhere once accepted', { skip }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${url}/`);
  await page.getByRole('heading', { name: 'API key' }).waitFor();
  await page.getByLabel('Key').fill('wrong');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('The service refused that key.').waitFor();
  assert.equal(await page.evaluate("sessionStorage.getItem('trainer.apiKey')"), null);

  await page.getByLabel('Key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  // The stream's progress and final status reach the row.
  await page.locator(`tr[data-job="${JOB_ID}"] [data-status="succeeded"]`).waitFor();
  assert.equal(await page.locator(`tr[data-job="${JOB_ID}"] progress`).getAttribute('value'), '20');
  assert.match((await page.locator(`tr[data-job="${JOB_ID}"]`).textContent()) ?? '', /20 \/ 20.*0\.25/);
  assert.equal(await page.evaluate("sessionStorage.getItem('trainer.apiKey')"), KEY);

  const stream = seen.filter((s) => s.path === `/v1/jobs/${JOB_ID}/events`);
  assert.equal(stream.length, 1, 'one stream, closed after the final status');
  assert.equal(stream[0].authorization, `Bearer ${KEY}`);
  assert.equal(stream[0].lastEventId, '5', 'the list resumes after the steps the job already had');
  assert.ok(
    seen.some((s) => s.path.startsWith('/v1/jobs?') && s.authorization === undefined),
    'the first request had no key',
  );

  // A reload keeps the key for the session; "Forget API key" drops it.
  await page.reload();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  await page.getByRole('button', { name: 'Forget API key' }).click();
  assert.equal(await page.evaluate("sessionStorage.getItem('trainer.apiKey')"), null);
  await page.getByRole('heading', { name: 'API key' }).waitFor();
  assert.deepEqual(errors, []);
});
