/**
 * A cancel that lands between the tenant-slot claim (which marks the row `running`) and the start
 * of the attempt: it sees a fresh heartbeat, so it only asks the worker to stop, and the worker
 * finds the start refused. The job must end `canceled` there and then, at step 0 and untrained,
 * with the webhook any cancel sends, not stay `running` for the reconciler. No reconciler runs
 * here: only the worker can end it. The worker is held at that point by its test seam
 * (WorkerHooks.beforeStart), never by a sleep.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { api, finished, irisJob, recordedSteps, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Holds every job at the worker's beforeStart seam until the test releases it. */
function holdAtStart() {
  const held = new Map<string, { reached: Deferred; released: Deferred }>();
  const entry = (jobId: string) => {
    let e = held.get(jobId);
    if (!e) held.set(jobId, (e = { reached: deferred(), released: deferred() }));
    return e;
  };
  return {
    hook: async (jobId: string) => {
      const e = entry(jobId);
      e.reached.resolve();
      await e.released.promise;
    },
    reached: (jobId: string) => entry(jobId).reached.promise,
    release: (jobId: string) => entry(jobId).released.resolve(),
  };
}

/** A webhook receiver: the events it was sent, per job, and a wait for a job's first. */
function webhookInbox() {
  const events = new Map<string, string[]>();
  const arrived = new Map<string, Deferred>();
  const arrival = (jobId: string) => {
    let d = arrived.get(jobId);
    if (!d) arrived.set(jobId, (d = deferred()));
    return d;
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { event, job } = JSON.parse(body) as { event: string; job: { id: string } };
      events.set(job.id, [...(events.get(job.id) ?? []), event]);
      arrival(job.id).resolve();
      res.statusCode = 204;
      res.end();
    });
  });
  return {
    server,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    /** The events sent for the job, once the first has come. */
    async eventsOf(jobId: string) {
      await arrival(jobId).promise;
      return events.get(jobId);
    },
  };
}

describe('a cancel between the tenant-slot claim and the start of the attempt', () => {
  let service: TestService;
  const gate = holdAtStart();
  const inbox = webhookInbox();

  before(async () => {
    await new Promise<void>((r) => inbox.server.listen(0, '127.0.0.1', r));
    service = await startService({
      env: {
        WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        // A cancel takes a running job whose heartbeat is a lock's length old for orphaned and ends
        // it itself. The claim's heartbeat must stay fresh while the worker starts a new training
        // process (every WORKER_JOBS_PER_CHILD jobs, seconds on a busy machine): else it is not the race.
        JOB_LOCK_MS: '120000',
      },
    });
    await service.startWorker({ hooks: { beforeStart: gate.hook } });
  });
  after(async () => {
    await service.close();
    inbox.server.close();
  });

  /** Submits a job, holds it claimed, cancels it there, releases it: the job as it ended. */
  async function raceOnce(notify?: { url: string }) {
    const { json: job } = await api(service.url, 'POST', '/v1/jobs', { ...irisJob(), ...(notify ? { notify } : {}) });
    await gate.reached(job.id);
    try {
      const claimed = (await api(service.url, 'GET', `/v1/jobs/${job.id}`)).json;
      assert.equal(claimed.status, 'running', 'the slot claim marked it running');
      assert.equal(claimed.attempts, 0, 'no attempt has started');
      const cancel = await api(service.url, 'POST', `/v1/jobs/${job.id}/cancel`);
      assert.equal(cancel.status, 200);
      assert.equal(cancel.json.status, 'running', 'the cancel saw a live job and only asked it to stop: the race');
    } finally {
      gate.release(job.id); // a failed assertion must not leave the worker held (its close would wait)
    }
    // Polled, never slept: without the fix it stays running and this returns it running.
    const done = await waitForJob(service.url, job.id, finished);
    assert.equal(done.status, 'canceled', `job ${job.id} is ${done.status}`);
    assert.equal(done.attempts, 0, 'it never started an attempt');
    assert.equal(done.progress.step, 0);
    assert.ok(done.finishedAt);
    assert.deepEqual(await recordedSteps(service.url, job.id), [], 'nothing was trained');
    return done;
  }

  it('ends the job canceled at once, at step 0, untrained, with its webhook', async () => {
    const done = await raceOnce({ url: inbox.url() });
    assert.deepEqual(await inbox.eventsOf(done.id), ['canceled']);
  });

  it('ends it canceled every time, 50 runs in a row', async () => {
    for (let i = 0; i < 50; i++) await raceOnce();
  });
});
