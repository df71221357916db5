/**
 * The stream's ordering rules, driven by writing rows into PostgreSQL directly (as a worker
 * would, through the same tables and triggers): a hole in the step numbers holds the stream
 * back until it is filled; rows a restarted attempt writes again are not sent twice; the
 * stream ends after a final status however it was set.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startService, type TestService } from '../helpers/service.ts';
import { readSse, stepsOf, type SseEvent } from '../helpers/sse.ts';
import { until } from '../helpers/until.ts';

let service: TestService;
before(async () => {
  service = await startService();
});
after(async () => service?.close());

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runningJob(): Promise<string> {
  const id = randomUUID();
  await service.db.job.create({
    data: { id, status: 'running', spec: {}, progress: { epoch: 1, epochs: 1, step: 0, totalSteps: 200, loss: null, samplesPerSecond: 0 } },
  });
  return id;
}

async function writeSteps(id: string, steps: number[], loss = 1): Promise<void> {
  await service.db.$executeRaw`
    INSERT INTO "StepMetric" ("jobId", "step", "epoch", "loss", "learningRate")
    SELECT ${id}::uuid, s, 1, ${loss}::float8, 0.1 FROM unnest(${steps}::int[]) s
    ON CONFLICT DO NOTHING`;
}

/** Streams the job in the background; `seen()` is the steps so far. */
function follow(id: string, lastEventId?: string) {
  const events: SseEvent[] = [];
  const done = readSse(`${service.url}/v1/jobs/${id}/events`, { lastEventId, onEvent: (e) => void events.push(e) });
  return { done, seen: () => stepsOf(events), events };
}

/**
 * Waits up to `ms` for `cond`: only where the test's claim is a latency (the stream catches up
 * before the 15 s heartbeat pass would); every other wait is until()'s, without a deadline.
 */
async function within(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(20);
}

test('a hole in the steps holds the stream back until it is filled, then it goes on in order', async () => {
  const id = await runningJob();
  const s = follow(id);
  await writeSteps(id, range(1, 10));
  await until(() => s.seen().length === 10);
  await writeSteps(id, range(15, 20)); // committed before 11–14, as a late batch would be
  await sleep(500);
  assert.deepEqual(s.seen(), range(1, 10), 'nothing past the hole while the job runs');
  await writeSteps(id, range(11, 14));
  await until(() => s.seen().length === 20);
  assert.deepEqual(s.seen(), range(1, 20));
  await service.db.job.update({ where: { id }, data: { status: 'succeeded', finishedAt: new Date() } });
  const { endedByServer } = await s.done;
  assert.equal(endedByServer, true);
});

test('steps a restarted attempt writes again are not sent twice: the stream only moves forward', async () => {
  const id = await runningJob();
  const s = follow(id);
  await writeSteps(id, range(1, 100), 1);
  await until(() => s.seen().length === 100);
  // A new attempt: its rows replace the old ones from step 51 (as a resume from a checkpoint would).
  await service.db.$executeRaw`DELETE FROM "StepMetric" WHERE "jobId" = ${id}::uuid AND "step" > 50`;
  await writeSteps(id, range(51, 80), 2);
  await sleep(300);
  await writeSteps(id, range(81, 150), 2);
  await until(() => s.seen().length >= 150);
  await service.db.job.update({ where: { id }, data: { status: 'failed', error: 'test', finishedAt: new Date() } });
  await s.done;
  assert.deepEqual(s.seen(), range(1, 150), 'each step once');
  const after100 = s.events
    .filter((e) => e.event === 'steps')
    .flatMap((e) => JSON.parse(e.data).steps)
    .filter((r: { step: number }) => r.step > 100);
  assert.ok(
    after100.every((r: { loss: number }) => r.loss === 2),
    "past the old attempt, the new attempt's values",
  );
  const status = s.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));
  assert.deepEqual(
    status.map((x) => x.status),
    ['running', 'failed'],
  );
  assert.equal(status[1].error, 'test');
});

test('a job whose steps start after 1 (a continued job) streams from its first step; a queued job says so first', async () => {
  const id = randomUUID();
  await service.db.job.create({
    data: { id, status: 'queued', spec: {}, progress: { epoch: 0, epochs: 1, step: 0, totalSteps: 10, loss: null, samplesPerSecond: 0 } },
  });
  const s = follow(id);
  await until(() => s.events.length > 0);
  assert.equal(JSON.parse(s.events[0].data).status, 'queued');
  await service.db.job.update({ where: { id }, data: { status: 'running' } });
  await writeSteps(id, range(161, 170));
  await until(() => s.seen().length === 10);
  await service.db.job.update({
    where: { id },
    data: { status: 'succeeded', progress: { epoch: 1, epochs: 1, step: 10, totalSteps: 10, loss: 1, samplesPerSecond: 5 } },
  });
  await s.done;
  assert.deepEqual(s.seen(), range(161, 170));
  const progress = s.events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data));
  assert.deepEqual(progress[progress.length - 1], { epoch: 1, epochs: 1, step: 10, totalSteps: 10, loss: 1, samplesPerSecond: 5 });
});

test('when the LISTEN connection is cut, the API reconnects and the stream goes on without waiting for a heartbeat', async () => {
  const id = await runningJob();
  const s = follow(id);
  await writeSteps(id, range(1, 5));
  await until(() => s.seen().length === 5);
  // Cut this test database's LISTEN connections (ours: the database is this developer's own).
  const cut = await service.db.$queryRaw<Array<{ ok: boolean }>>`
    SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
    WHERE datname = current_database() AND query = 'LISTEN trainer_events'`;
  assert.ok(cut.length >= 1 && cut.every((r) => r.ok), 'a LISTEN connection was cut');
  await sleep(100);
  await writeSteps(id, range(6, 10)); // its notification may be lost: the reconnect must catch up
  await within(() => s.seen().length === 10, 10_000); // heartbeat passes are 15 s apart
  assert.deepEqual(s.seen(), range(1, 10));
  await writeSteps(id, range(11, 12)); // and notifications flow again
  await within(() => s.seen().length === 12, 10_000);
  assert.deepEqual(s.seen(), range(1, 12));
  await service.db.job.update({ where: { id }, data: { status: 'canceled', finishedAt: new Date() } });
  await s.done;
});

/** Reads the stream on a raw socket; `ended` settles when the server closes its side (FIN). */
function rawStream(id: string, connection: string) {
  const { hostname, port } = new URL(service.url);
  const socket = connect(Number(port), hostname);
  socket.write(`GET /v1/jobs/${id}/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: ${connection}\r\n\r\n`);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve);
    socket.on('error', reject);
  });
  return { socket, text: () => text, ended };
}

test('after the final event the server ends the response and closes the socket, whatever Connection the client sent', async () => {
  for (const connection of ['close', 'keep-alive']) {
    const id = await runningJob();
    const stream = rawStream(id, connection);
    await until(() => stream.text().includes('"status":"running"'));
    assert.match(stream.text(), /^HTTP\/1\.1 200 /);
    assert.match(stream.text(), /\r\nconnection: close\r\n/i, 'the stream says it ends its connection');
    await service.db.job.update({ where: { id }, data: { status: 'succeeded', finishedAt: new Date() } });
    // The client never ends or destroys its socket: only the server can close it.
    const closed = await Promise.race([stream.ended.then(() => true), sleep(10_000).then(() => false)]);
    assert.ok(closed, `Connection: ${connection}: the server closes the socket after the last event`);
    assert.match(
      stream.text(),
      /event: status\ndata: \{"status":"succeeded"[^\n]*\n\n\r\n0\r\n\r\n$/,
      'the last event, then the end of the body',
    );
    stream.socket.destroy();
  }
});
