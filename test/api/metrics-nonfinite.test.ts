/** A diverging model's validation loss can overflow to Infinity: the metrics still answer, with null. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('metrics of a diverging model', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  it('an epoch whose validation loss is infinite or NaN reads as null, not a 500', async () => {
    // A real job row (no worker runs it), so job listings of other tests still read it.
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob());
    const id: string = job.id;
    await service.db.epochMetric.createMany({
      data: [
        { jobId: id, epoch: 1, loss: 0.5, valLoss: 0.25 },
        { jobId: id, epoch: 2, loss: 7, valLoss: Number.POSITIVE_INFINITY },
        { jobId: id, epoch: 3, loss: 9, valLoss: Number.NaN },
      ],
    });
    const { status, json } = await api(service.url, 'GET', `/v1/jobs/${id}/metrics`);
    assert.equal(status, 200);
    assert.deepEqual(
      json.epochs.map((e: any) => e.valLoss),
      [0.25, null, null],
    );
    await api(service.url, 'POST', `/v1/jobs/${id}/cancel`);
  });
});
