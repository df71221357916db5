/**
 * One job row never breaks a job list: a job canceled before its first step used to have its
 * progress replaced by {}, and every GET /v1/jobs that included it answered 500.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deleteJob, insertJob } from '../../src/store/jobs.ts';
import { api, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('job view', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  it('a row whose progress lacks its fields reads with defaults, alone and in the list', async () => {
    const { json: good } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const spec = (await api(service.url, 'GET', `/v1/jobs/${good.id}`)).json.spec;
    const id = randomUUID();
    await insertJob(service.db, { id, tenant: 'default', spec, progress: {} as never }, Infinity);
    try {
      const one = await api(service.url, 'GET', `/v1/jobs/${id}`);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(one.json.progress, { epoch: 0, epochs: 5, step: 0, totalSteps: 0, loss: null, samplesPerSecond: 0 });
      const list = await api(service.url, 'GET', '/v1/jobs?limit=100');
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.jobs.some((j: { id: string }) => j.id === id));
    } finally {
      await deleteJob(service.db, id);
      await api(service.url, 'POST', `/v1/jobs/${good.id}/cancel`);
    }
  });
});
