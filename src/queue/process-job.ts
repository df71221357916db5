/**
 * What a worker does with one job: take it in PostgreSQL, hand it to a training child, write
 * what the child reports (steps in batches, epochs, progress), and record how it ended.
 * The queue, the store and the training core meet here and nowhere else.
 */
import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { finishJob, getJob, saveProgress, startAttempt, succeedJob } from '../store/jobs.ts';
import { clearMetrics, saveEpoch } from '../store/metrics.ts';
import { claimTenantSlot } from '../store/tenant-slots.ts';
import { planJob, type JobSpec } from '../training/spec/job.ts';
import type { Progress, StartingPoint, TrainResult } from '../training/train.ts';
import type { ChildPool, TrainerChild } from './child-pool.ts';
import { encodeOptimizerState } from '../training/optimizer-state-codec.ts';
import { MetricsWriter } from './metrics-writer.ts';
import { loadStartingPoint } from './starting-point.ts';
import type { FromChild } from './protocol.ts';
import type { TrainingJobData } from './queue.ts';

/** Progress is written to the job row at most this often (it is what GET /jobs/:id shows). */
const PROGRESS_INTERVAL_MS = 500;

export interface JobContext {
  db: Db;
  pool: ChildPool;
  log: Logger;
  /** Jobs whose cancel arrived over pub/sub; checked when a job starts and while it runs. */
  cancels: CancelRegistry;
  /** True once the worker is shutting down: running jobs stop and go back to the queue. */
  shuttingDown: () => boolean;
  /** TENANT_MAX_RUNNING_JOBS: a job whose tenant runs this many waits, and the worker takes the next. */
  maxRunningPerTenant: number;
}

/** How long a job whose tenant is at its running limit waits before it is looked at again. */
const TENANT_SLOT_RETRY_MS = 2000;

/** Running jobs by id, so a cancel or a shutdown can reach the child that trains them. */
export class CancelRegistry {
  private readonly requested = new Set<string>();
  private readonly running = new Map<string, (reason: 'cancel' | 'shutdown') => void>();

  cancel(jobId: string): void {
    this.requested.add(jobId);
    this.running.get(jobId)?.('cancel');
    // Forget it later: a cancel for a job this worker never runs must not pile up.
    setTimeout(() => this.requested.delete(jobId), 60_000).unref();
  }
  isRequested(jobId: string): boolean {
    return this.requested.has(jobId);
  }
  track(jobId: string, stop: (reason: 'cancel' | 'shutdown') => void): () => void {
    this.running.set(jobId, stop);
    return () => this.running.delete(jobId);
  }
  stopAll(reason: 'shutdown'): void {
    for (const stop of this.running.values()) stop(reason);
  }
}

export async function processTrainingJob(job: Job<TrainingJobData>, token: string | undefined, ctx: JobContext): Promise<string> {
  const { jobId } = job.data;
  // Fairness between tenants: at its running limit, the job steps aside (delayed, not an attempt).
  if (!(await claimTenantSlot(ctx.db, jobId, ctx.maxRunningPerTenant))) {
    await job.moveToDelayed(Date.now() + TENANT_SLOT_RETRY_MS + Math.floor(Math.random() * 1000), token);
    throw new DelayedError();
  }
  const log = ctx.log.child({ jobId, attempt: job.attemptsMade + 1 });
  const row = await getJob(ctx.db, jobId);
  if (!row) throw new UnrecoverableError(`job ${jobId} is not in the database`);
  if (row.status !== 'queued' && row.status !== 'running') return `skipped: already ${row.status}`;
  if (row.cancelRequested || ctx.cancels.isRequested(jobId)) {
    await finishJob(ctx.db, jobId, 'canceled');
    return 'canceled before it started';
  }

  const child = await ctx.pool.acquire();
  try {
    const started = await startAttempt(ctx.db, jobId, child.backend);
    if (!started) return 'skipped: canceled or finished meanwhile';
    if (started.attempts > 1) await clearMetrics(ctx.db, jobId); // an attempt restarts from step 1
    log.info({ backend: child.backend, attempts: started.attempts }, 'training started');
    const spec = started.spec as unknown as JobSpec;
    const start = await loadStartingPoint(ctx.db, spec).catch(async (err: Error) => {
      await finishJob(ctx.db, jobId, 'failed', { error: err.message });
      throw new UnrecoverableError(err.message);
    });
    const outcome = await trainInChild(child, jobId, spec, start, ctx, log);
    return await recordOutcome(outcome, job, token, ctx, log);
  } finally {
    // After the outcome is recorded: retiring a child waits for it to exit, which a user
    // waiting for `succeeded` should not.
    await ctx.pool.release(child);
  }
}

type Outcome =
  | { kind: 'done'; result: TrainResult; progress: Progress | null; stopReason?: 'cancel' | 'shutdown' }
  | { kind: 'failed'; error: string }
  | { kind: 'crashed'; error: string };

function trainInChild(child: TrainerChild, jobId: string, spec: JobSpec, start: StartingPoint | undefined, ctx: JobContext, log: Logger): Promise<Outcome> {
  const plan = planJob(spec);
  const metrics = new MetricsWriter(ctx.db, jobId);
  let lastProgressWrite = 0;
  // Epoch rows and progress written while the job runs; the outcome waits for them.
  const pending = new Set<Promise<unknown>>();
  const track = (write: Promise<unknown>) => {
    pending.add(write);
    void write.finally(() => pending.delete(write));
  };
  let stopReason: 'cancel' | 'shutdown' | undefined;
  const stop = (reason: 'cancel' | 'shutdown') => {
    stopReason ??= reason;
    child.send({ type: 'stop', jobId, reason });
  };
  const untrack = ctx.cancels.track(jobId, stop);
  if (ctx.cancels.isRequested(jobId)) stop('cancel');

  const writeProgress = async (progress: Progress) => {
    lastProgressWrite = Date.now();
    const { cancelRequested } = await saveProgress(ctx.db, jobId, progress);
    if (cancelRequested) stop('cancel');
  };

  return new Promise<Outcome>((resolve) => {
    const settle = async (outcome: Outcome) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      untrack();
      try {
        await Promise.all(pending);
        await metrics.flush();
      } catch (err) {
        log.error({ err }, 'writing step metrics failed');
      }
      resolve(outcome);
    };
    const onMessage = (m: FromChild) => {
      if (!('jobId' in m) || m.jobId !== jobId) return;
      switch (m.type) {
        case 'steps':
          metrics.add(m.steps);
          if (Date.now() - lastProgressWrite >= PROGRESS_INTERVAL_MS) {
            lastProgressWrite = Date.now();
            // Progress never runs ahead of the steps a reader can fetch: flush them first.
            track(metrics.flush()
              .then(() => writeProgress(m.progress))
              .catch((err) => log.warn({ err }, 'saving progress failed')));
          }
          break;
        case 'epoch':
          track(Promise.all([metrics.flush(), saveEpoch(ctx.db, jobId, m.epoch)])
            .then(() => writeProgress(m.progress))
            .catch((err) => log.warn({ err }, 'saving epoch metrics failed')));
          log.info({ epoch: m.epoch }, 'epoch finished');
          break;
        case 'done':
          log.info({ tensorsLeft: m.memory.tensors }, 'training process finished the job');
          void settle({ kind: 'done', result: m.result, progress: m.progress, stopReason });
          break;
        case 'failed':
          void settle({ kind: 'failed', error: m.error });
          break;
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      void settle({ kind: 'crashed', error: `the training process died (exit code ${code}, signal ${signal})` });
    child.on('message', onMessage);
    child.on('exit', onExit);
    if (ctx.shuttingDown()) stop('shutdown');
    child.send({ type: 'train', jobId, spec, plan, start });
  });
}

async function recordOutcome(outcome: Outcome, job: Job<TrainingJobData>, token: string | undefined, ctx: JobContext, log: Logger): Promise<string> {
  const { jobId } = job.data;
  switch (outcome.kind) {
    case 'done': {
      const progress = outcome.progress ?? {};
      if (outcome.stopReason === 'shutdown' || (outcome.result.stopped && ctx.shuttingDown() && outcome.stopReason !== 'cancel')) {
        // Interrupted by a shutdown, not by the user: back to the queue for another worker.
        await finishJob(ctx.db, jobId, 'queued', { progress });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (outcome.result.stopped) {
        await finishJob(ctx.db, jobId, 'canceled', { progress });
        log.info('training canceled');
        return 'canceled';
      }
      const { model, optimizerState } = outcome.result;
      await succeedJob(ctx.db, jobId, {
        modelTopology: model.modelTopology,
        weightSpecs: model.weightSpecs as unknown as object[],
        weightData: new Uint8Array(model.weightData),
        optimizerState: encodeOptimizerState(optimizerState),
      }, progress);
      log.info({ loss: outcome.result.finalLoss }, 'training succeeded');
      return 'succeeded';
    }
    case 'failed': {
      await finishJob(ctx.db, jobId, 'failed', { error: outcome.error });
      log.warn({ error: outcome.error }, 'training failed');
      throw new UnrecoverableError(outcome.error);
    }
    case 'crashed': {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await finishJob(ctx.db, jobId, 'failed', { error: `${outcome.error}; it was tried ${job.attemptsMade + 1} times` });
      }
      log.error({ error: outcome.error }, 'training process crashed');
      throw new Error(outcome.error);
    }
  }
}
