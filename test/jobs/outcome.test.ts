/**
 * How an attempt's end is recorded (jobs/outcome.ts), on the real database and apart from BullMQ:
 * each kind of end leaves the row in the state the README promises, with a reason in words, and
 * asks the queue for the matching next step. (A success with rows missing is refused in
 * test/reliability/success-gate.test.ts; the whole path through a worker in the lifecycle tests.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { recordOutcome, type AttemptEnd } from '../../src/jobs/outcome.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { startAttempt, type Attempt } from '../../src/store/attempts.ts';
import { getJob, insertJob } from '../../src/store/jobs.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import type { TrainResult } from '../../src/domain/records.ts';
import { FILE_DATABASE_URL, testConfig } from '../helpers/env.ts';

const log = pino({ level: 'silent' });
const config = testConfig({ JOB_ATTEMPTS: '2', MAX_JOB_SECONDS: '90' });
const progress = { epoch: 1, epochs: 3, step: 7, totalSteps: 30, loss: 0.5, samplesPerSecond: 100 };
/** A child's `done` after a stop: only `stopped` is read on these paths. */
const stoppedRun = { stopped: true } as TrainResult;

describe('recording how an attempt ended', () => {
  let db: Db;
  before(async () => {
    await prepareDatabase(FILE_DATABASE_URL);
    db = createDb(FILE_DATABASE_URL, 2);
  });
  after(() => db.$disconnect());

  /** A job in its `times`-th running attempt. */
  async function runningJob(times = 1): Promise<Attempt> {
    const id = randomUUID();
    const start = { epoch: 0, epochs: 3, step: 0, totalSteps: 30, loss: null, samplesPerSecond: 0 };
    await insertJob(db, { id, tenant: 'outcome-test', spec: {} as never, progress: start }, Infinity);
    let attempt = 0;
    for (let i = 0; i < times; i++) attempt = (await startAttempt(db, id, 'cpu'))!.attempts;
    return { id, attempt };
  }

  const record = (attempt: Attempt, end: Partial<AttemptEnd> & Pick<AttemptEnd, 'outcome'>) =>
    recordOutcome(db, config, attempt, {} as never, { stopReason: undefined, recording: undefined, ...end }, log);

  it('stopped by a shutdown: back to the queue with its progress, no attempt spent on a failure', async () => {
    const attempt = await runningJob();
    const verdict = await record(attempt, { outcome: { kind: 'done', result: stoppedRun, progress }, stopReason: 'shutdown' });
    assert.deepEqual(verdict, { kind: 'requeue' });
    const row = (await getJob(db, attempt.id))!;
    assert.equal(row.status, 'queued');
    assert.deepEqual(row.progress, progress);
    assert.equal(row.error, null);
  });

  it('stopped by the time limit: failed, saying so and that metrics and checkpoint are kept', async () => {
    const attempt = await runningJob();
    const verdict = await record(attempt, { outcome: { kind: 'done', result: stoppedRun, progress }, stopReason: 'timeout' });
    assert.equal(verdict.kind, 'failed');
    const row = (await getJob(db, attempt.id))!;
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /^time limit reached: the job ran for 90 s \(MAX_JOB_SECONDS\)/);
    assert.deepEqual(row.progress, progress);
  });

  it('stopped by the user: canceled, keeping the progress it made', async () => {
    const attempt = await runningJob();
    const verdict = await record(attempt, { outcome: { kind: 'done', result: stoppedRun, progress }, stopReason: 'cancel' });
    assert.deepEqual(verdict, { kind: 'finished', summary: 'canceled' });
    const row = (await getJob(db, attempt.id))!;
    assert.equal(row.status, 'canceled');
    assert.deepEqual(row.progress, progress);
  });

  it("training failed (the user's spec): failed for good with the child's reason and the step it diverged at", async () => {
    const attempt = await runningJob();
    const error = 'the loss became NaN at step 12: lower the learning rate';
    const verdict = await record(attempt, { outcome: { kind: 'failed', error, divergedAtStep: 12 } });
    assert.deepEqual(verdict, { kind: 'failed', error });
    const row = (await getJob(db, attempt.id))!;
    assert.equal(row.status, 'failed');
    assert.equal(row.error, error);
    const stored = await db.job.findUnique({ where: { id: attempt.id }, select: { divergedAtStep: true } });
    assert.equal(stored?.divergedAtStep, 12);
  });

  it('the child crashed: queued for a retry while attempts remain, failed saying how often it was tried after the last', async () => {
    const first = await runningJob(1);
    const error = 'the training process died (exit code null, signal SIGKILL)';
    assert.deepEqual(await record(first, { outcome: { kind: 'crashed', error } }), { kind: 'retry', error });
    assert.equal((await getJob(db, first.id))!.status, 'queued');

    const last = await runningJob(2);
    const verdict = await record(last, { outcome: { kind: 'crashed', error } });
    assert.deepEqual(verdict, { kind: 'failed', error: `${error}; it was tried 2 times` });
    const row = (await getJob(db, last.id))!;
    assert.equal(row.status, 'failed');
    assert.equal(row.error, `${error}; it was tried 2 times`);
  });

  it("storing the metrics failed for good: failed, saying so, whatever the child's outcome", async () => {
    const attempt = await runningJob();
    const recording = { kind: 'failed' as const, error: new Error('value too long for type') };
    const verdict = await record(attempt, { outcome: { kind: 'done', result: { ...stoppedRun, stopped: false }, progress }, recording });
    assert.equal(verdict.kind, 'failed');
    const row = (await getJob(db, attempt.id))!;
    assert.equal(row.status, 'failed');
    assert.equal(row.error, "storing the job's metrics failed: value too long for type");
  });

  it("an attempt that is no longer the job's changes nothing: a newer attempt keeps the row", async () => {
    const stale = await runningJob(1);
    await startAttempt(db, stale.id, 'cpu'); // another worker took the job over
    const verdict = await record(stale, { outcome: { kind: 'crashed', error: 'late' } });
    assert.deepEqual(verdict, { kind: 'finished', summary: 'superseded' }, 'no retry asked for a job another worker holds');
    const row = (await getJob(db, stale.id))!;
    assert.equal(row.status, 'running', 'the fenced write did not apply');
    assert.equal(row.attempts, 2);
    assert.deepEqual(await record(stale, { outcome: { kind: 'crashed', error: 'late' }, recording: { kind: 'superseded' } }), {
      kind: 'finished',
      summary: 'superseded',
    });
  });
});
