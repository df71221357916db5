/**
 * Recording how a job's attempt ended: succeeded (only with every step and epoch row stored),
 * failed with a reason a user understands, canceled, or back to the queue (a shutdown, or a
 * crash with attempts left). The worker calls it once the child is done and everything it
 * reported is stored, then does what the returned verdict says with the queue.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import {
  cancelRequestedJob,
  endAttempt,
  finishJob,
  IncompleteMetricsError,
  succeedAttempt,
  type Attempt,
  type Ending,
} from '../store/attempts.ts';
import { retryWhileUnreachable } from '../store/unavailable.ts';
import { planJob, type JobSpec } from '../domain/job.ts';
import { encodeOptimizerState } from '../domain/optimizer-state.ts';
import type { Progress, TrainResult } from '../domain/records.ts';
import type { StopReason } from '../domain/stopping.ts';

/** How the training child's work ended, as the worker saw it. */
export type TrainingOutcome =
  | { kind: 'done'; result: TrainResult; progress: Progress | null }
  | { kind: 'failed'; error: string; divergedAtStep?: number }
  | { kind: 'crashed'; error: string };

export interface AttemptEnd {
  outcome: TrainingOutcome;
  /** Why the worker stopped the training early, if it did. */
  stopReason: StopReason | undefined;
  /** Storing the job's metrics failed for good, or the attempt stopped being the job's. */
  recording: { kind: 'superseded' } | { kind: 'failed'; error: Error } | undefined;
}

/** What the queue must do with the job once its outcome is recorded. */
export type Verdict =
  /** Finished here (succeeded, canceled, or no longer this attempt's): the summary is the queue's return value. */
  | { kind: 'finished'; summary: 'succeeded' | 'canceled' | 'superseded' }
  /** Back to the queue at once, without spending an attempt (the worker is shutting down). */
  | { kind: 'requeue' }
  /** Tried again after the queue's backoff, from the checkpoint. */
  | { kind: 'retry'; error: string }
  /** Failed for good. */
  | { kind: 'failed'; error: string };

/**
 * Why a job failed when the queue gave up on it without our processor recording an outcome:
 * BullMQ fails a job whose workers stalled (stopped renewing its lock) more than
 * MAX_STALLED_COUNT times, and says so only in its own event. `stalls` is the job's stall count
 * as BullMQ keeps it, `reason` BullMQ's own words.
 */
export function givenUpByQueue(stalls: number, maxStalls: number, reason: string): string {
  return stalls > maxStalls
    ? `the workers running this job stopped responding too many times (${reason})`
    : `the job queue gave up on this job (${reason})`;
}

/** A job canceled before any attempt trained it. */
export async function recordCanceledBeforeStart(db: Db, jobId: string): Promise<void> {
  await finishJob(db, jobId, 'canceled');
}

/**
 * A job whose attempt was refused at its start because a cancel was asked for, canceled (with the
 * events and webhook of any cancel). False when it was not that: it had finished meanwhile.
 */
export function recordCanceledAtStart(db: Db, jobId: string): Promise<boolean> {
  return cancelRequestedJob(db, jobId);
}

/** The attempt could not start training (its starting point cannot be read): failed for good, saying why. */
export async function recordStartFailure(db: Db, attempt: Attempt, error: string): Promise<void> {
  await endAttempt(db, attempt, 'failed', { error });
}

/** Records how a training attempt ended (everything the child reported is already stored). */
export async function recordOutcome(
  db: Db,
  config: Config,
  attempt: Attempt,
  spec: JobSpec,
  end: AttemptEnd,
  log: Logger,
): Promise<Verdict> {
  const { outcome, stopReason, recording } = end;
  if (recording?.kind === 'superseded') {
    log.warn("the job is no longer this attempt's (canceled, or given to another worker); stopped");
    return { kind: 'finished', summary: 'superseded' };
  }
  // Waits out a PostgreSQL outage: the outcome is the one write that must land. It applies only
  // while the row is still this attempt's; when it is not, the job is another's to finish.
  const record = async (status: 'failed' | 'canceled' | 'queued', fields: Ending, verdict: Verdict): Promise<Verdict> => {
    const applied = await retryWhileUnreachable(
      db,
      () => endAttempt(db, attempt, status, fields),
      (err, delayMs) => log.warn({ err: err.message, delayMs }, 'recording the outcome failed; retrying'),
    );
    if (applied) return verdict;
    log.warn({ status }, "the job is no longer this attempt's (canceled, or given to another worker); its end is not recorded");
    return { kind: 'finished', summary: 'superseded' };
  };
  if (recording?.kind === 'failed') {
    const error = `storing the job's metrics failed: ${recording.error.message}`;
    log.error({ err: recording.error }, 'storing metrics failed');
    return record('failed', { error }, { kind: 'failed', error });
  }
  switch (outcome.kind) {
    case 'done': {
      // Null when training stopped before its first step: the row keeps the progress it has.
      const progress = outcome.progress ?? undefined;
      if (outcome.result.stopped && stopReason === 'shutdown') {
        // Interrupted by a shutdown, not by the user: its checkpoint is stored; back to the queue.
        return record('queued', { progress }, { kind: 'requeue' });
      }
      if (outcome.result.stopped && stopReason === 'timeout') {
        const error =
          `time limit reached: the job ran for ${config.MAX_JOB_SECONDS} s (MAX_JOB_SECONDS); its metrics and ` +
          `last checkpoint are kept`;
        log.warn('time limit reached');
        return record('failed', { error, progress }, { kind: 'failed', error });
      }
      if (outcome.result.stopped) {
        log.info('training canceled');
        return record('canceled', { progress }, { kind: 'finished', summary: 'canceled' });
      }
      return succeed(db, attempt, spec, outcome.result, progress, log);
    }
    case 'failed': {
      log.warn({ error: outcome.error }, 'training failed');
      const { error, divergedAtStep } = outcome;
      return record('failed', { error, divergedAtStep }, { kind: 'failed', error });
    }
    case 'crashed': {
      log.error({ error: outcome.error }, 'training process crashed');
      if (attempt.attempt >= config.JOB_ATTEMPTS) {
        const error = `${outcome.error}; it was tried ${attempt.attempt} times`;
        return record('failed', { error }, { kind: 'failed', error });
      }
      return record('queued', {}, { kind: 'retry', error: outcome.error });
    }
  }
}

/** Stores the model and optimizer state and marks the job succeeded, only if every metric row is there. */
async function succeed(
  db: Db,
  attempt: Attempt,
  spec: JobSpec,
  result: TrainResult,
  progress: Progress | undefined,
  log: Logger,
): Promise<Verdict> {
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
    if (!stored) return { kind: 'finished', summary: 'superseded' };
  } catch (err) {
    if (!(err instanceof IncompleteMetricsError)) throw err;
    // Never a success with rows missing: say so, keep the checkpoint.
    const error = `the job finished training but ${err.message}; it was not marked succeeded`;
    await endAttempt(db, attempt, 'failed', { error });
    log.error({ stored: err.stored, expected: err.expected }, 'metrics incomplete at the end of training');
    return { kind: 'failed', error };
  }
  log.info({ loss: result.finalLoss }, 'training succeeded');
  return { kind: 'finished', summary: 'succeeded' };
}
