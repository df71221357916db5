/**
 * What a worker does with one job: take it in PostgreSQL (a new attempt, fencing out any older
 * one), hand it to a training child from its checkpoint if it has one, store what the child
 * reports through the JobRecorder, have its outcome recorded (jobs/outcome.ts), and tell BullMQ
 * what next. The queue, the store and the training child meet here and nowhere else.
 */
import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import {
  recordCanceledAtStart,
  recordCanceledBeforeStart,
  recordOutcome,
  recordStartFailure,
  type AttemptEnd,
  type TrainingOutcome,
  type Verdict,
} from '../jobs/outcome.ts';
import type { TrainingJobData } from '../queue.ts';
import { loadCheckpoint, rewindMetrics } from '../store/checkpoints.ts';
import type { Db } from '../store/db.ts';
import { markResumed, startAttempt, type Attempt } from '../store/attempts.ts';
import { getJob } from '../store/jobs.ts';
import { claimTenantSlot } from '../store/tenant-slots.ts';
import { isDatabaseUnreachable, isReachable } from '../store/unavailable.ts';
import { planJob, type JobSpec } from '../domain/job.ts';
import type { StartingPoint } from '../domain/records.ts';
import type { PendingCancels } from './cancel-registry.ts';
import type { ChildPool, TrainerChild } from './child-pool.ts';
import { JobRecorder } from './job-recorder.ts';
import type { FromChild } from '../domain/child-protocol.ts';
import type { StopReason } from '../domain/stopping.ts';
import { resumeRefusal } from './resume-backend.ts';
import { trainingBackend } from '../domain/training-backend.ts';
import { loadStartingPoint } from './starting-point.ts';

/** What the worker hands the processor for every job it takes (the use cases' context is UseCaseContext). */
export interface WorkerContext {
  db: Db;
  pool: ChildPool;
  log: Logger;
  config: Config;
  /** Cancels that arrived over pub/sub before the job started here. */
  cancels: PendingCancels;
  /** True once the worker is shutting down: running jobs stop and go back to the queue. */
  shuttingDown: () => boolean;
  hooks?: WorkerHooks;
}

/** Seams for tests, to hold a job at a known point; a production worker has none. */
export interface WorkerHooks {
  /** Awaited once the job holds its tenant slot (its row is `running`), just before its attempt starts. */
  beforeStart?: (jobId: string) => Promise<void>;
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
  ctx: WorkerContext,
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
  ctx: WorkerContext,
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
    await recordCanceledBeforeStart(db, jobId);
    return 'canceled before it started';
  }

  const child = await ctx.pool.acquire();
  // The smallest dense models train faster on wasm than on native TensorFlow (training-backend.ts).
  const backend = trainingBackend(row.spec, child.backend);
  try {
    await ctx.hooks?.beforeStart?.(jobId);
    const started = await startAttempt(db, jobId, backend);
    if (!started) {
      // Refused: the job finished meanwhile, or a cancel came after the slot claim had marked it
      // running. That cancel saw a fresh heartbeat and only set the flag, for a worker to act on:
      // this one, now; left running, the job would wait for the reconciler.
      if (!(await recordCanceledAtStart(db, jobId))) return 'skipped: finished meanwhile';
      ctx.log.info({ jobId }, 'canceled before its attempt started');
      return 'canceled before it started';
    }
    const attempt: Attempt = { id: jobId, attempt: started.attempts };
    const log = ctx.log.child({ jobId, attempt: attempt.attempt });
    const { spec } = started;
    const checkpoint = await loadCheckpoint(db, jobId);
    // Before the rewind: a job refused here keeps every row it has.
    const refusal = checkpoint ? resumeRefusal(checkpoint, backend) : undefined;
    if (refusal) {
      log.warn({ checkpointBackend: checkpoint?.backend, backend }, 'checkpoint written on another backend; job failed');
      await recordStartFailure(db, attempt, refusal);
      throw new UnrecoverableError(refusal);
    }
    await rewindMetrics(db, jobId, checkpoint);
    if (checkpoint) await markResumed(db, attempt, checkpoint.step);
    const start = await loadStartingPoint(db, spec, checkpoint).catch(async (err: Error): Promise<never> => {
      await recordStartFailure(db, attempt, err.message);
      throw new UnrecoverableError(err.message);
    });
    log.info({ backend, resumedFromStep: checkpoint?.step ?? 0 }, 'training started');
    const run = await trainInChild(child, attempt, { spec, backend }, start, signal, ctx, log);
    // Everything the child reported is stored first (waiting out a PostgreSQL outage), so that
    // what the outcome says (succeeded, failed at step N, a checkpoint to resume) is all there.
    await run.recorder.flush().catch(() => {});
    await run.recorder.close();
    const verdict = await recordOutcome(db, ctx.config, attempt, spec, run, log);
    return await settleInQueue(verdict, job, token);
  } finally {
    // After the outcome is recorded: retiring a child waits for it to exit, which a user
    // waiting for `succeeded` should not.
    await ctx.pool.release(child);
  }
}

/** BullMQ's side of a verdict: a return value, or the error or move that tells the queue what next. */
async function settleInQueue(verdict: Verdict, job: Job<TrainingJobData>, token: string | undefined): Promise<string> {
  switch (verdict.kind) {
    case 'finished':
      return verdict.summary;
    case 'requeue':
      await job.moveToWait(token);
      throw new WaitingError();
    case 'retry':
      throw new Error(verdict.error);
    case 'failed':
      throw new UnrecoverableError(verdict.error);
  }
}

interface Run extends AttemptEnd {
  recorder: JobRecorder;
}

function trainInChild(
  child: TrainerChild,
  attempt: Attempt,
  { spec, backend }: { spec: JobSpec; backend: string },
  start: StartingPoint | undefined,
  signal: AbortSignal | undefined,
  ctx: WorkerContext,
  log: Logger,
): Promise<Run> {
  const { config } = ctx;
  const jobId = attempt.id;
  let stopReason: StopReason | undefined;
  let recording: Run['recording'];
  const stop = (reason: StopReason) => {
    stopReason ??= reason;
    child.send({ type: 'stop', jobId, reason });
  };
  const recorder = new JobRecorder(
    ctx.db,
    attempt,
    log,
    (event) => {
      if (event.kind !== 'cancel') recording ??= event;
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
    const settle = (outcome: TrainingOutcome) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timeLimit);
      resolve({ outcome, stopReason, recording, recorder });
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
    child.send({ type: 'train', jobId, spec, plan: planJob(spec), backend, start, checkpointIntervalS: config.CHECKPOINT_INTERVAL_S });
  });
}
