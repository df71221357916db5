/**
 * What a worker does with one job: take it in PostgreSQL (a new attempt, fencing out any older
 * one), hand it to a training child from its checkpoint if it has one, store what the child
 * reports through the JobRecorder, and record how it ended. The queue, the store and the
 * training core meet here and nowhere else.
 */
import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { loadCheckpoint, rewindMetrics } from '../store/checkpoints.ts';
import type { Db } from '../store/db.ts';
import {
  endAttempt,
  finishJob,
  getJob,
  IncompleteMetricsError,
  markResumed,
  startAttempt,
  succeedAttempt,
  type Attempt,
} from '../store/jobs.ts';
import { claimTenantSlot } from '../store/tenant-slots.ts';
import { isDatabaseUnreachable, isReachable, retryWhileUnreachable } from '../store/unavailable.ts';
import { encodeOptimizerState } from '../spec/optimizer-state.ts';
import { planJob, type JobSpec } from '../spec/job.ts';
import type { Progress, StartingPoint, TrainResult } from '../spec/records.ts';
import type { PendingCancels } from './cancel-registry.ts';
import type { ChildPool, TrainerChild } from './child-pool.ts';
import { JobRecorder, type RecorderEvent } from './job-recorder.ts';
import type { FromChild, StopReason } from './protocol.ts';
import type { TrainingJobData } from './queue.ts';
import { loadStartingPoint } from './starting-point.ts';

export interface JobContext {
  db: Db;
  pool: ChildPool;
  log: Logger;
  config: Config;
  /** Cancels that arrived over pub/sub before the job started here. */
  cancels: PendingCancels;
  /** True once the worker is shutting down: running jobs stop and go back to the queue. */
  shuttingDown: () => boolean;
}

/** While PostgreSQL is down a job cannot even start: it waits in BullMQ's delayed set this long. */
const DATABASE_DOWN_DELAY_MS = 5000;
/** How long a job whose tenant is at its running limit waits before it is looked at again. */
const TENANT_SLOT_RETRY_MS = 2000;

/**
 * BullMQ's processor. `signal` aborts when this worker is told to stop the job: the reason is
 * 'cancel' (the user, over the pub/sub channel) or 'shutdown'.
 */
export async function processTrainingJob(
  job: Job<TrainingJobData>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  ctx: JobContext,
): Promise<string> {
  try {
    return await takeJob(job, token, signal, ctx);
  } catch (err) {
    // Not the job's fault: try it again once the database is back, without spending an attempt.
    if (token && (isDatabaseUnreachable(err) || !(await isReachable(ctx.db)))) {
      ctx.log.warn({ jobId: job.data.jobId, err: (err as Error).message }, 'PostgreSQL is unreachable; the job waits');
      await job.moveToDelayed(Date.now() + DATABASE_DOWN_DELAY_MS, token);
      throw new DelayedError();
    }
    throw err;
  }
}

async function takeJob(
  job: Job<TrainingJobData>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  ctx: JobContext,
): Promise<string> {
  const { db } = ctx;
  const { jobId } = job.data;
  // Fairness between tenants: at its running limit (TENANT_MAX_RUNNING_JOBS) the job steps aside,
  // delayed and not counted as an attempt, and this worker takes the next one.
  if (!(await claimTenantSlot(db, jobId, ctx.config.TENANT_MAX_RUNNING_JOBS))) {
    await job.moveToDelayed(Date.now() + TENANT_SLOT_RETRY_MS + Math.floor(Math.random() * 1000), token);
    throw new DelayedError();
  }
  const row = await getJob(db, jobId);
  if (!row) throw new UnrecoverableError(`job ${jobId} is not in the database`);
  if (row.status !== 'queued' && row.status !== 'running') return `skipped: already ${row.status}`;
  if (row.cancelRequested || ctx.cancels.has(jobId) || signal?.reason === 'cancel') {
    await finishJob(db, jobId, 'canceled');
    return 'canceled before it started';
  }

  const child = await ctx.pool.acquire();
  try {
    const started = await startAttempt(db, jobId, child.backend);
    if (!started) return 'skipped: canceled or finished meanwhile';
    const attempt: Attempt = { id: jobId, attempt: started.attempts };
    const log = ctx.log.child({ jobId, attempt: attempt.attempt });
    const { spec } = started;
    const checkpoint = await loadCheckpoint(db, jobId);
    await rewindMetrics(db, jobId, checkpoint);
    if (checkpoint) await markResumed(db, attempt, checkpoint.step);
    const start = await loadStartingPoint(db, spec, checkpoint).catch(async (err: Error) => {
      await endAttempt(db, attempt, 'failed', { error: err.message });
      throw new UnrecoverableError(err.message);
    });
    log.info({ backend: child.backend, resumedFromStep: checkpoint?.step ?? 0 }, 'training started');
    const run = await trainInChild(child, attempt, spec, start, signal, ctx, log);
    return await recordOutcome(run, attempt, spec, job, token, ctx, log);
  } finally {
    // After the outcome is recorded: retiring a child waits for it to exit, which a user
    // waiting for `succeeded` should not.
    await ctx.pool.release(child);
  }
}

type Outcome =
  | { kind: 'done'; result: TrainResult; progress: Progress | null }
  | { kind: 'failed'; error: string; divergedAtStep?: number }
  | { kind: 'crashed'; error: string };

interface Run {
  outcome: Outcome;
  /** Why the worker stopped the training early, if it did. */
  stopReason: StopReason | undefined;
  /** Set when storing failed for good or the attempt stopped being the job's. */
  recorderEvent: Exclude<RecorderEvent, { kind: 'cancel' }> | undefined;
  recorder: JobRecorder;
}

function trainInChild(
  child: TrainerChild,
  attempt: Attempt,
  spec: JobSpec,
  start: StartingPoint | undefined,
  signal: AbortSignal | undefined,
  ctx: JobContext,
  log: Logger,
): Promise<Run> {
  const { config } = ctx;
  const jobId = attempt.id;
  let stopReason: StopReason | undefined;
  let recorderEvent: Run['recorderEvent'];
  const stop = (reason: StopReason) => {
    stopReason ??= reason;
    child.send({ type: 'stop', jobId, reason });
  };
  const recorder = new JobRecorder(
    ctx.db,
    attempt,
    log,
    (event) => {
      if (event.kind !== 'cancel') recorderEvent ??= event;
      stop('cancel');
    },
    (hold) => {
      if (hold) log.warn({ bufferedRows: config.METRICS_BUFFER_ROWS }, 'step buffer full while PostgreSQL is unreachable; training waits');
      child.send({ type: 'hold', jobId, hold });
    },
    {
      maxBufferedRows: config.METRICS_BUFFER_ROWS,
      batchRows: 5000,
      maxDelayMs: 250,
      heartbeatMs: Math.max(100, Math.floor(config.JOB_LOCK_MS / 4)),
      retryMs: [100, 5000],
    },
  );
  const onAbort = () => stop(signal?.reason === 'shutdown' ? 'shutdown' : 'cancel');
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  if (ctx.cancels.has(jobId)) stop('cancel');
  const timeLimit = setTimeout(() => stop('timeout'), config.MAX_JOB_SECONDS * 1000);

  return new Promise<Run>((resolve) => {
    const settle = (outcome: Outcome) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timeLimit);
      resolve({ outcome, stopReason, recorderEvent, recorder });
    };
    const onMessage = (m: FromChild) => {
      if (!('jobId' in m) || m.jobId !== jobId) return;
      switch (m.type) {
        case 'steps':
          recorder.addSteps(m.steps, m.progress);
          break;
        case 'epoch':
          recorder.addEpoch(m.epoch, m.progress);
          log.info({ epoch: m.epoch }, 'epoch finished');
          break;
        case 'checkpoint':
          recorder.addCheckpoint(m.checkpoint);
          break;
        case 'done':
          log.info({ tensorsLeft: m.memory.tensors }, 'training process finished the job');
          settle({ kind: 'done', result: m.result, progress: m.progress });
          break;
        case 'failed':
          settle({ kind: 'failed', error: m.error, divergedAtStep: m.divergedAtStep });
          break;
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      settle({ kind: 'crashed', error: `the training process died (exit code ${code}, signal ${signal})` });
    child.on('message', onMessage);
    child.on('exit', onExit);
    if (ctx.shuttingDown()) stop('shutdown');
    child.send({ type: 'train', jobId, spec, plan: planJob(spec), start, checkpointIntervalS: config.CHECKPOINT_INTERVAL_S });
  });
}

async function recordOutcome(
  run: Run,
  attempt: Attempt,
  spec: JobSpec,
  job: Job<TrainingJobData>,
  token: string | undefined,
  ctx: JobContext,
  log: Logger,
): Promise<string> {
  const { db, config } = ctx;
  const { outcome, stopReason, recorder } = run;
  // Everything the child reported is stored first (waiting out a PostgreSQL outage), so that
  // what the outcome says (succeeded, failed at step N, a checkpoint to resume) is all there.
  await recorder.flush().catch(() => {});
  await recorder.close();
  const event = run.recorderEvent;
  if (event?.kind === 'superseded') {
    log.warn("the job is no longer this attempt's (canceled, or given to another worker); stopped");
    return 'superseded';
  }
  const end = (status: 'failed' | 'canceled' | 'queued', fields: { error?: string; progress?: object; divergedAtStep?: number }) =>
    retryWhileUnreachable(
      db,
      () => endAttempt(db, attempt, status, fields),
      (err, delayMs) => log.warn({ err: err.message, delayMs }, 'recording the outcome failed; retrying'),
    );
  if (event?.kind === 'failed') {
    const error = `storing the job's metrics failed: ${event.error.message}`;
    await end('failed', { error });
    log.error({ err: event.error }, 'storing metrics failed');
    throw new UnrecoverableError(error);
  }
  switch (outcome.kind) {
    case 'done': {
      // Null when training stopped before its first step: the row keeps the progress it has.
      const progress = outcome.progress ?? undefined;
      if (outcome.result.stopped && stopReason === 'shutdown') {
        // Interrupted by a shutdown, not by the user: its checkpoint is stored; back to the queue.
        await end('queued', { progress });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (outcome.result.stopped && stopReason === 'timeout') {
        const error =
          `time limit reached: the job ran for ${config.MAX_JOB_SECONDS} s (MAX_JOB_SECONDS); its metrics and ` +
          `last checkpoint are kept`;
        await end('failed', { error, progress });
        log.warn('time limit reached');
        throw new UnrecoverableError(error);
      }
      if (outcome.result.stopped) {
        await end('canceled', { progress });
        log.info('training canceled');
        return 'canceled';
      }
      return succeed(outcome.result, progress, attempt, spec, ctx, log);
    }
    case 'failed': {
      await end('failed', { error: outcome.error, divergedAtStep: outcome.divergedAtStep });
      log.warn({ error: outcome.error }, 'training failed');
      throw new UnrecoverableError(outcome.error);
    }
    case 'crashed': {
      log.error({ error: outcome.error }, 'training process crashed');
      if (attempt.attempt >= config.JOB_ATTEMPTS) {
        const error = `${outcome.error}; it was tried ${attempt.attempt} times`;
        await end('failed', { error });
        throw new UnrecoverableError(error);
      }
      // Queued again: BullMQ retries it after its backoff, from the checkpoint.
      await end('queued', {});
      throw new Error(outcome.error);
    }
  }
}

async function succeed(
  result: TrainResult,
  progress: Progress | undefined,
  attempt: Attempt,
  spec: JobSpec,
  ctx: JobContext,
  log: Logger,
): Promise<string> {
  const { db } = ctx;
  const { model, optimizerState } = result;
  const artifacts = {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightSpecs,
    weightData: new Uint8Array(model.weightData),
    optimizerState: encodeOptimizerState(optimizerState),
  };
  const expected = { steps: planJob(spec).totalSteps, epochs: spec.training.epochs };
  try {
    const stored = await retryWhileUnreachable(
      db,
      () => succeedAttempt(db, attempt, artifacts, progress, expected),
      (err, delayMs) => log.warn({ err: err.message, delayMs }, 'storing the result failed; retrying'),
    );
    if (!stored) return 'superseded';
  } catch (err) {
    if (!(err instanceof IncompleteMetricsError)) throw err;
    // Never a success with rows missing: say so, keep the checkpoint.
    const error = `the job finished training but ${err.message}; it was not marked succeeded`;
    await endAttempt(db, attempt, 'failed', { error });
    log.error({ stored: err.stored, expected: err.expected }, 'metrics incomplete at the end of training');
    throw new UnrecoverableError(error);
  }
  log.info({ loss: result.finalLoss }, 'training succeeded');
  return 'succeeded';
}
