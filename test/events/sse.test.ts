/**
 * GET /v1/jobs/:id/events on the real stack: a worker trains, the stream is read over HTTP.
 * Steps come from PostgreSQL triggers through LISTEN/NOTIFY, so a second API process (its own
 * app, database pool and LISTEN connection) streams a job trained by the first one's worker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { holdJobs } from '../helpers/hold.ts';
import { api, xorJob, waitForJob, finished, recordedSteps, irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { readSse, stepsOf } from '../helpers/sse.ts';
import { until } from '../helpers/until.ts';

/** Jobs are held here, running, for the cut and the cancel; iris jobs (40 steps) never reach it. */
const HOLD_AT = 500;
const hold = holdJobs(HOLD_AT);

let service: TestService;
let second: TestService;

before(async () => {
  service = await startService({ worker: true });
  second = await startService(); // API only: another process as far as events go
});
after(async () => {
  await second?.close();
  await service?.close();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a stream cut mid-job, resumed with Last-Event-ID, misses no step and repeats none; a second API process streams it too', async () => {
  const submitted = await api(service.url, 'POST', '/v1/jobs', xorJob(60)); // 64 steps an epoch
  assert.equal(submitted.status, 201);
  const { id } = submitted.json;
  const totalSteps = submitted.json.progress.totalSteps;
  assert.equal(totalSteps, 60 * 64);

  // The second process reads the whole run from its own LISTEN connection, concurrently.
  let elsewhereAt = 0;
  const elsewhere = readSse(`${second.url}/v1/jobs/${id}/events`, {
    timeoutMs: 120_000,
    onEvent: (e) => {
      if (e.event === 'steps') elsewhereAt = Number(e.id);
    },
  });

  let cutAt = 0;
  const first = await readSse(`${service.url}/v1/jobs/${id}/events`, {
    onEvent: (e) => {
      if (e.event !== 'steps') return false;
      cutAt = Number(e.id);
      return cutAt >= HOLD_AT; // disconnect at the held step
    },
  });
  assert.equal(first.status, 200);
  assert.match(first.contentType ?? '', /^text\/event-stream/);
  assert.equal(first.endedByServer, false);
  const before = await api(service.url, 'GET', `/v1/jobs/${id}`);
  assert.equal(before.json.status, 'running', 'the cut must happen while the job runs');
  assert.equal(cutAt, HOLD_AT);
  // Live, not caught up at the end: the steps reach the other process while the job is held
  // running (its fallback pass runs only every 15 s; this waits for either, the test's timeout bounds it).
  await until(() => elsewhereAt === HOLD_AT);
  hold.release(id);
  // Training goes on while nobody listens here.
  await waitForJob(service.url, id, (j) => j.progress.step > HOLD_AT + 64);

  const resumed = await readSse(`${service.url}/v1/jobs/${id}/events`, { lastEventId: String(cutAt), timeoutMs: 120_000 });
  assert.equal(resumed.endedByServer, true, 'the stream ends after the final status');
  const firstSteps = stepsOf(first.events);
  const resumedSteps = stepsOf(resumed.events);
  assert.equal(firstSteps[firstSteps.length - 1], cutAt);
  assert.equal(resumedSteps[0], cutAt + 1, 'continues with the step after Last-Event-ID');
  assert.deepEqual([...firstSteps, ...resumedSteps], range(1, totalSteps), 'union is 1..totalSteps, each once, in order');

  // Every steps event's id is its last step.
  for (const e of [...first.events, ...resumed.events].filter((x) => x.event === 'steps')) {
    const steps = JSON.parse(e.data).steps;
    assert.equal(Number(e.id), steps[steps.length - 1].step);
  }
  const last = resumed.events[resumed.events.length - 1];
  assert.equal(last.event, 'status');
  assert.equal(JSON.parse(last.data).status, 'succeeded');
  const progress = resumed.events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data));
  assert.equal(progress[progress.length - 1].step, totalSteps);

  // The values are those stored (checked against the paged metrics route).
  const stored = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?fromStep=${cutAt - 2}&limit=5`);
  const streamed = [...first.events, ...resumed.events].filter((e) => e.event === 'steps').flatMap((e) => JSON.parse(e.data).steps);
  assert.deepEqual(streamed.slice(cutAt - 3, cutAt + 2), stored.json.steps);

  const other = await elsewhere;
  assert.equal(other.endedByServer, true);
  assert.deepEqual(stepsOf(other.events), range(1, totalSteps), 'the second API process streamed every step once');
  assert.equal(JSON.parse(other.events[other.events.length - 1].data).status, 'succeeded');
  // Every epoch once. Not necessarily in order: the worker writes an epoch's record while the
  // next epoch trains, so a record can commit after the next one's.
  const epochs = other.events.filter((e) => e.event === 'epoch').map((e) => JSON.parse(e.data).epoch);
  assert.deepEqual(
    [...epochs].sort((a, b) => a - b),
    range(1, 60),
  );
});

test('a client connecting to a finished job gets every step, every epoch and the final status, then the stream ends', async () => {
  const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
  const job = await waitForJob(service.url, json.id, finished);
  assert.equal(job.status, 'succeeded');
  const got = await readSse(`${second.url}/v1/jobs/${json.id}/events`);
  assert.equal(got.endedByServer, true);
  assert.deepEqual(stepsOf(got.events), await recordedSteps(service.url, json.id));
  assert.deepEqual(
    got.events.filter((e) => e.event === 'epoch').map((e) => JSON.parse(e.data).epoch),
    [1, 2, 3, 4, 5],
  );
  assert.deepEqual(got.events.map((e) => e.event).slice(-2), ['progress', 'status']);
  assert.equal(JSON.parse(got.events[got.events.length - 1].data).status, 'succeeded');

  // Resuming at the very end: no step left, only the job's state and the end.
  const total = job.progress.totalSteps;
  const tail = await readSse(`${service.url}/v1/jobs/${json.id}/events`, { lastEventId: String(total) });
  assert.deepEqual(stepsOf(tail.events), []);
  assert.equal(JSON.parse(tail.events[tail.events.length - 1].data).status, 'succeeded');
});

test("a canceled job's stream ends with status canceled", async () => {
  const { json } = await api(service.url, 'POST', '/v1/jobs', xorJob());
  const stream = readSse(`${service.url}/v1/jobs/${json.id}/events`);
  await hold.reached(json.id);
  await api(service.url, 'POST', `/v1/jobs/${json.id}/cancel`); // it ends the hold
  const got = await stream;
  assert.equal(got.endedByServer, true);
  const statuses = got.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status);
  assert.equal(statuses[statuses.length - 1], 'canceled');
  assert.deepEqual(stepsOf(got.events), range(1, HOLD_AT), 'every step up to the cancel, and none after it');
});

test('a bad Last-Event-ID is a 400 naming the header; an unknown job is a 404', async () => {
  const { json } = await api(service.url, 'POST', '/v1/jobs', irisJob());
  for (const value of ['abc', '-1', '1.5', '99999999999']) {
    const bad = await api(service.url, 'GET', `/v1/jobs/${json.id}/events`, undefined, { 'last-event-id': value });
    assert.equal(bad.status, 400, value);
    assert.equal(bad.json.error, 'invalid_request');
    assert.match(bad.json.message, /last-event-id/);
  }
  const missing = await api(service.url, 'GET', '/v1/jobs/00000000-0000-4000-8000-000000000000/events');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, 'not_found');
});
