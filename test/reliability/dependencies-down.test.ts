/**
 * While PostgreSQL or Redis is down the API answers 503 with Retry-After and a JSON body that
 * names the dependency, never a 500; /readyz says which one is down and why; and once the
 * server is back the same process serves again, without a restart. PostgreSQL and Redis here
 * are servers of the test's own (test/helpers/servers.ts), stopped and killed at will.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, irisJob } from '../helpers/http.ts';
import { startPostgres, startRedis, type OwnPostgres, type OwnRedis } from '../helpers/servers.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { until } from '../helpers/until.ts';

const MISSING = '00000000-0000-4000-8000-000000000000';

function assertUnavailable(res: Awaited<ReturnType<typeof api>>, dependency: 'database' | 'redis', what: string) {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.error, 'unavailable', what);
  assert.equal(typeof res.json.message, 'string', what);
  assert.equal(res.json.details?.dependency, dependency, what);
  assert.ok(String(res.json.details?.reason ?? '').length > 10, `${what}: a reason in words, got ${res.text}`);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0,
    `${what}: Retry-After is a number of seconds, got ${res.headers.get('retry-after')}`,
  );
}

describe('dependencies down', () => {
  let pg: OwnPostgres;
  let redis: OwnRedis;
  let service: TestService;
  let jobId: string;

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    service = await startService({ env: { DATABASE_URL: pg.url('trainer_down'), REDIS_URL: redis.url(0) } });
    const submitted = await api(service.url, 'POST', '/v1/jobs', irisJob());
    assert.equal(submitted.status, 201, submitted.text);
    jobId = submitted.json.id;
  });
  after(async () => {
    await service?.close();
    await Promise.all([pg?.close(), redis?.close()]);
  });

  it('PostgreSQL down: every route that reads or writes it answers 503 with Retry-After, none 500', async () => {
    await pg.stop();
    const requests: Array<[string, string, unknown?]> = [
      ['GET', '/v1/jobs'],
      ['GET', `/v1/jobs/${jobId}`],
      ['POST', '/v1/jobs', irisJob()],
      ['POST', `/v1/jobs/${jobId}/cancel`],
      ['GET', `/v1/jobs/${jobId}/metrics`],
      ['GET', `/v1/jobs/${jobId}/model/model.json`],
      ['GET', '/v1/datasets'],
      ['GET', `/v1/datasets/${MISSING}`],
      ['GET', `/v1/models/${MISSING}`],
    ];
    // Twice: the first request meets the pool's dropped connections, the second a refused connect.
    for (let round = 0; round < 2; round++) {
      for (const [method, path, body] of requests) {
        const started = Date.now();
        assertUnavailable(await api(service.url, method, path, body), 'database', `${method} ${path}`);
        assert.ok(Date.now() - started < 8000, `${method} ${path} took ${Date.now() - started} ms`);
      }
    }
  });

  it('PostgreSQL down: /readyz is 503 and says the database is down and why', async () => {
    const res = await api(service.url, 'GET', '/readyz');
    assert.equal(res.status, 503);
    assert.equal(res.json.status, 'unavailable');
    assert.equal(res.json.redis, 'ok');
    assert.notEqual(res.json.database, 'ok');
    assert.match(res.json.database, /PostgreSQL/);
    assert.ok(res.json.database.length > 15, `a reason in words, got "${res.json.database}"`);
  });

  it('PostgreSQL back: the same process serves again', async () => {
    await pg.start();
    await until(async () => (await api(service.url, 'GET', '/readyz')).status === 200, 200); // readyz turns 200
    const job = await api(service.url, 'GET', `/v1/jobs/${jobId}`);
    assert.equal(job.status, 200, job.text);
    assert.equal(job.json.id, jobId);
    const submitted = await api(service.url, 'POST', '/v1/jobs', irisJob());
    assert.equal(submitted.status, 201, submitted.text);
    assert.equal((await api(service.url, 'GET', '/v1/datasets')).status, 200);
  });

  it('Redis down: submit answers 503 with Retry-After and stores nothing; reads from PostgreSQL still work', async () => {
    await redis.kill();
    const name = 'submitted while Redis is down';
    const res = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), name });
    assertUnavailable(res, 'redis', 'POST /v1/jobs');
    assert.match(res.json.message, /queue \(Redis\) is unavailable/);
    assert.equal(await service.db.job.count({ where: { name } }), 0);
    assert.equal((await api(service.url, 'GET', `/v1/jobs/${jobId}`)).status, 200);
    assert.equal((await api(service.url, 'GET', '/v1/jobs')).status, 200);
  });

  it('Redis down: a cancel is still recorded (PostgreSQL holds it; workers skip canceled jobs)', async () => {
    const res = await api(service.url, 'POST', `/v1/jobs/${jobId}/cancel`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'canceled');
  });

  it('Redis down: /readyz is 503 and says Redis is down and why', async () => {
    const res = await api(service.url, 'GET', '/readyz');
    assert.equal(res.status, 503);
    assert.equal(res.json.database, 'ok');
    assert.match(res.json.redis, /Redis at 127\.0\.0\.1:\d+/);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  });

  it('Redis back: submits are accepted again without a restart', async () => {
    await redis.start();
    await until(async () => (await api(service.url, 'GET', '/readyz')).status === 200, 200); // readyz turns 200
    const res = await api(service.url, 'POST', '/v1/jobs', irisJob());
    assert.equal(res.status, 201, res.text);
  });
});
