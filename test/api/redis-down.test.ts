/** With Redis unreachable the API answers at once: 503 on submit (nothing stored), readyz 503. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('Redis down', () => {
  let service: TestService;
  // Nothing listens on port 1: every connection is refused.
  before(async () => {
    service = await startService({ env: { REDIS_URL: 'redis://127.0.0.1:1/0' } });
  });
  after(() => service.close());

  it('a submit answers 503 within seconds and leaves no job behind', async () => {
    const before = await service.db.job.count();
    const started = Date.now();
    const res = await api(service.url, 'POST', '/v1/jobs', irisJob());
    assert.equal(res.status, 503, res.text);
    assert.match(res.json.message, /queue \(Redis\) is unavailable/);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.equal(await service.db.job.count(), before);
  });

  it('readiness is 503 naming Redis, while the database is fine', async () => {
    const res = await api(service.url, 'GET', '/readyz');
    assert.equal(res.status, 503);
    assert.equal(res.json.database, 'ok');
    assert.notEqual(res.json.redis, 'ok');
  });
});
