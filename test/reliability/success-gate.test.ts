/**
 * A job is `succeeded` only with every step and epoch row stored. The fault: the database
 * silently drops one row (a trigger of the test's own, in a database of its own), which no
 * writer can notice; the success transaction counts the rows against the plan and refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, finished, irisJob, waitForJob } from '../helpers/http.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('success needs every row', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ worker: true, env: { DATABASE_URL: await ownDatabase('success_gate') } });
  });
  after(async () => {
    await service.db.$executeRawUnsafe('DROP TRIGGER IF EXISTS lose_a_row ON "StepMetric"');
    await service.db.$executeRawUnsafe('DROP TRIGGER IF EXISTS lose_a_row ON "EpochMetric"');
    await service.close();
  });

  /** Makes the database swallow the row of `table` whose `column` is `value`, saying nothing. */
  async function loseRow(table: string, column: string, value: number) {
    await service.db.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION lose_a_row() RETURNS trigger AS $$
      BEGIN IF NEW."${column}" = ${value} THEN RETURN NULL; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await service.db.$executeRawUnsafe(`CREATE TRIGGER lose_a_row BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION lose_a_row()`);
  }

  it('a step row lost on the way: the job fails saying how many rows are stored, never succeeded', async () => {
    await loseRow('StepMetric', 'step', 5);
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const done = await waitForJob(service.url, job.id, finished);
    await service.db.$executeRawUnsafe('DROP TRIGGER lose_a_row ON "StepMetric"');
    assert.equal(done.status, 'failed');
    const total = done.progress.totalSteps;
    assert.match(done.error, new RegExp(`only ${total - 1} of ${total} step rows and 5 of 5 epoch rows are stored`));
    assert.equal(
      (await api(service.url, 'GET', `/v1/jobs/${job.id}/model/model.json`)).status,
      409,
      'no model of a job that did not succeed',
    );
  });

  it('an epoch row lost on the way: the same', async () => {
    await loseRow('EpochMetric', 'epoch', 2);
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const done = await waitForJob(service.url, job.id, finished);
    await service.db.$executeRawUnsafe('DROP TRIGGER lose_a_row ON "EpochMetric"');
    assert.equal(done.status, 'failed');
    assert.match(done.error, /and 4 of 5 epoch rows are stored/);
  });

  it('with nothing lost the same job succeeds', async () => {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'succeeded', done.error);
  });
});
