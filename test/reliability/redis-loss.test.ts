/**
 * PostgreSQL is the source of truth; Redis may lose everything. On a Redis of the test's own,
 * killed and started again empty (as a restart without persistence does): queued jobs are queued
 * again and trained; a job whose API process died between the INSERT and the enqueue runs; a
 * running job whose worker died with Redis's data continues from its checkpoint on another
 * worker; a cancel of a running job that no worker runs takes effect at once.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { connectRedis } from '../../src/queue.ts';
import { api, finished, irisJob, longJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { startRedis, type OwnRedis } from '../helpers/servers.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { killGroup, workerProcess } from '../helpers/worker-process.ts';

describe('Redis loses its data', () => {
  let redis: OwnRedis;
  let service: TestService;
  before(async () => {
    redis = await startRedis();
    const databaseUrl = await ownDatabase('redis_loss');
    service = await startService({
      reconcile: true,
      env: { DATABASE_URL: databaseUrl, REDIS_URL: redis.url(0), RECONCILE_INTERVAL_MS: '300', CHECKPOINT_INTERVAL_S: '0' },
    });
  });
  after(async () => {
    await service.close();
    await redis.close();
  });

  const get = async (id: string) => (await api(service.url, 'GET', `/v1/jobs/${id}`)).json;
  const loseRedis = async () => {
    await redis.kill();
    await redis.start();
  };

  it('queued jobs are queued again by the reconciler and trained', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await api(service.url, 'POST', '/v1/jobs', irisJob())).json.id);
    await loseRedis();
    await service.startWorker();
    for (const id of ids) {
      const done = await waitForJob(service.url, id, finished, 60_000);
      assert.equal(done.status, 'succeeded', done.error);
    }
    await service.stopWorkers();
  });

  it('a job stored but never queued (its API process died in between) runs', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    // What a crash after the INSERT leaves: the row, and nothing in Redis.
    const connection = connectRedis(service.config, 'api');
    const queue = new Queue(service.config.QUEUE_NAME, { connection });
    await queue.remove(job.id);
    assert.equal(await queue.getJobState(job.id), 'unknown');
    await queue.close();
    connection.disconnect();
    await service.startWorker();
    const done = await waitForJob(service.url, job.id, finished, 60_000);
    assert.equal(done.status, 'succeeded', done.error);
    await service.stopWorkers();
  });

  it("a running job whose worker died with Redis's data continues from its checkpoint elsewhere", async () => {
    const doomed = workerProcess(service.config, { detached: true });
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', longJob(120));
    const running = await waitForJob(service.url, job.id, (j) => finished(j) || (j?.checkpoint?.step ?? 0) >= 640, 60_000);
    assert.equal(running.status, 'running');
    killGroup(doomed);
    await once(doomed, 'exit');
    await loseRedis();
    const checkpoint = (await get(job.id)).checkpoint;

    await service.startWorker();
    const done = await waitForJob(service.url, job.id, finished, 90_000);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal(done.attempts, 2);
    assert.equal(done.resumedFromStep, checkpoint.step);
    const steps = await recordedSteps(service.url, job.id);
    assert.deepEqual(
      steps,
      Array.from({ length: done.progress.totalSteps }, (_, i) => i + 1),
    );
    await service.stopWorkers();
  });

  it('a cancel of a running job that no worker runs any more takes effect at once', async () => {
    const doomed = workerProcess(service.config, { detached: true });
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', longJob(400));
    await waitForJob(service.url, job.id, (j) => finished(j) || j?.progress?.step > 100, 60_000);
    killGroup(doomed);
    await once(doomed, 'exit');
    // No worker is left: nobody will read the cancel flag. After a lock's length the job is orphaned.
    await new Promise((r) => setTimeout(r, service.config.JOB_LOCK_MS + 500));
    const { status, json } = await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`);
    assert.equal(status, 200);
    assert.equal(json.status, 'canceled');
  });
});
