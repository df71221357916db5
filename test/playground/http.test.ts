/**
 * POST /v1/trajectories on the real service (PostgreSQL, Redis, the playground child): a valid
 * request, 10,000 steps within the request, every kind of bad input a 400 naming the field, and
 * a 503 from an app built without a playground.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { buildApp } from '../../src/api/app.ts';
import { connectRedis, type TrainingJobData } from '../../src/queue.ts';
import { createDb } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { FUNCTION_NAMES } from '../../src/playground/functions.ts';
import { testConfig } from '../helpers/env.ts';
import { api } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const valid = { function: 'rosenbrock', start: [-1.5, 2], steps: 200, optimizer: { name: 'adam', learningRate: 0.02 } };

describe('POST /v1/trajectories', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  const post = (body: unknown) => api(service.url, 'POST', '/v1/trajectories', body);

  test('answers steps + 1 points [x, y, f], the start first, and the minima', async () => {
    const res = await post(valid);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.function, 'rosenbrock');
    assert.equal(res.json.points.length, 201);
    assert.deepEqual(res.json.points[0], [-1.5, 2, 0.25 * 0.25 * 100 + 2.5 * 2.5]);
    assert.ok(res.json.points.every((p: number[]) => p.length === 3));
    assert.deepEqual(res.json.minima, [[1, 1]]);
    assert.equal(res.json.diverged, undefined);
  });

  test('answers 10,000 Adam steps within the request', async () => {
    const started = performance.now();
    const res = await post({ ...valid, steps: 10_000 });
    const ms = performance.now() - started;
    console.log(`# 10,000 adam steps on rosenbrock over HTTP: ${ms.toFixed(0)} ms (${(res.text.length / 1024).toFixed(0)} KiB)`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.points.length, 10_001);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  test('a diverging run is answered with the finite points and the step that diverged', async () => {
    const res = await post({ function: 'quadratic', start: [1, 1], steps: 1000, optimizer: { name: 'sgd', learningRate: 0.3 } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.diverged.step, 126);
    assert.equal(res.json.points.length, 126);
  });

  const BAD: Array<[string, unknown, string, RegExp]> = [
    ['an unknown function', { ...valid, function: 'ackley' }, 'function', new RegExp(FUNCTION_NAMES.join(', '))],
    ['start with one number', { ...valid, start: [1] }, 'start', /pair of numbers/],
    ['start with a string', { ...valid, start: [1, 'a'] }, 'start[1]', /must be a number/],
    [
      'start beyond float64 (JSON 1e400 is Infinity)',
      '{"function":"beale","start":[1e400,0],"steps":5,"optimizer":{"name":"sgd"}}',
      'start[0]',
      /finite/,
    ],
    ['zero steps', { ...valid, steps: 0 }, 'steps', /\[1, 10000\]/],
    ['10,001 steps', { ...valid, steps: 10_001 }, 'steps', /\[1, 10000\]/],
    ['fractional steps', { ...valid, steps: 1.5 }, 'steps', /integer/],
    ['an unknown optimizer', { ...valid, optimizer: { name: 'adamm' } }, 'optimizer.name', /must be one of/],
    ['an optimizer option out of range', { ...valid, optimizer: { name: 'adam', beta2: 1 } }, 'optimizer.beta2', /\[0, 1\)/],
    ['an optimizer without a name', { ...valid, optimizer: {} }, 'optimizer.name', /must be one of/],
  ];
  for (const [what, body, field, reason] of BAD) {
    test(`${what} → 400 naming ${field}`, async () => {
      const res = await post(body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.details.field, field);
      assert.ok(res.json.message.startsWith(`${field}: `), res.json.message);
      assert.match(res.json.message, reason);
    });
  }

  test('an unknown or missing field → 400 naming it (schema validation)', async () => {
    const unknown = await post({ ...valid, seed: 3 });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.json.message, 'seed: unknown field');
    const { steps: _steps, ...noSteps } = valid;
    const missing = await post(noSteps);
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.json.message, 'steps: is required');
  });
});

test('an app built without a playground answers 503 (and documents the route)', async () => {
  // The route touches no queue: a stand-in suffices. The security hooks every route passes
  // through read API keys (PostgreSQL) and count requests (Redis): those are real.
  const config = testConfig();
  await prepareDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL);
  const redis = connectRedis(config, 'api');
  const app = await buildApp({ config, db, redis, queue: {} as Queue<TrainingJobData> });
  try {
    const res = await app.inject({ method: 'POST', url: '/v1/trajectories', payload: valid });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error, 'unavailable');
    assert.match(res.json().message, /playground/);
    const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(openapi.paths['/v1/trajectories'].post, 'documented in the OpenAPI document');
  } finally {
    await app.close();
    redis.disconnect();
    await db.$disconnect();
  }
});
