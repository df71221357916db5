/**
 * Everything a running attempt writes to PostgreSQL, in order, through one writer: step rows in
 * batches, epoch rows, checkpoints, and progress with the heartbeat. While PostgreSQL is down it
 * keeps what it has and retries with backoff, and holds training (through `onHold`) when its
 * step buffer is full rather than dropping rows; when the database returns it writes everything.
 *
 * Order is the promise readers rely on: a step row is stored before any progress that counts it,
 * and every step and epoch row up to a checkpoint is stored before the checkpoint itself.
 */
import type { Logger } from 'pino';
import { saveCheckpoint } from '../store/checkpoints.ts';
import type { Db } from '../store/db.ts';
import { beat, type Attempt } from '../store/attempts.ts';
import { insertSteps, saveEpoch, type EpochRow, type StepRow } from '../store/metrics.ts';
import { isDatabaseUnreachable, isReachable } from '../store/unavailable.ts';
import type { Checkpoint, Progress } from '../domain/records.ts';

export interface RecorderOptions {
  /** Step rows held while they cannot be written; past it training is held. */
  maxBufferedRows: number;
  /** Rows per INSERT. */
  batchRows: number;
  /** A write is started this long after the first row waiting for it (or at once past batchRows). */
  maxDelayMs: number;
  /** The heartbeat is refreshed at least this often, progress or not. */
  heartbeatMs: number;
  /** Backoff between retries while PostgreSQL is unreachable: from the first value to the second. */
  retryMs: [number, number];
}

/** The attempt is not the job's any more (canceled, or given to another worker): stop training. */
export type RecorderEvent = { kind: 'cancel' } | { kind: 'superseded' } | { kind: 'failed'; error: Error };

/** Progress (what GET /v1/jobs/:id shows) is written at most this often, and at every epoch's end. */
const PROGRESS_INTERVAL_MS = 500;

/** A write that fails this many times while PostgreSQL answers is a bug, not an outage. */
const MAX_FAILURES_WHILE_REACHABLE = 3;

export class JobRecorder {
  private steps: StepRow[] = [];
  private epochs: EpochRow[] = [];
  private checkpoint: Checkpoint | undefined;
  private progress: Progress | undefined;
  /** An epoch ended: its progress is written in the next pass. */
  private progressUrgent = false;
  private lastBeat = Date.now();
  private held = false;
  private stopped = false;
  private failure: Error | undefined;
  /** Ends the idle wait (new work); the backoff wait ends only by its timer or by close(). */
  private wake: (() => void) | undefined;
  private interruptBackoff: (() => void) | undefined;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly done: Promise<void>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly attempt: Attempt,
    private readonly log: Logger,
    private readonly onEvent: (event: RecorderEvent) => void,
    private readonly onHold: (hold: boolean) => void,
    private readonly opts: RecorderOptions,
  ) {
    this.done = this.run();
    this.timer = setInterval(() => this.kick(), opts.heartbeatMs);
  }

  addSteps(rows: StepRow[], progress: Progress): void {
    this.steps.push(...rows);
    if (this.progress === undefined) setTimeout(() => this.kick(), PROGRESS_INTERVAL_MS).unref();
    this.progress = progress;
    if (!this.held && this.steps.length >= this.opts.maxBufferedRows) this.setHeld(true);
    if (this.steps.length >= this.opts.batchRows) this.kick();
    else setTimeout(() => this.kick(), this.opts.maxDelayMs).unref();
  }

  addEpoch(row: EpochRow, progress: Progress): void {
    this.epochs.push(row);
    this.progress = progress;
    this.progressUrgent = true;
    this.kick();
  }

  addCheckpoint(checkpoint: Checkpoint): void {
    this.checkpoint = checkpoint; // a newer one replaces one not written yet
    this.kick();
  }

  /** Resolves once everything given so far is stored; rejects if the recorder failed. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.pending() || this.stopped) return;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.kick();
    });
    this.rethrow(); // not `if (this.failure)` again: TypeScript keeps the narrowing from before the await
  }

  private rethrow(): void {
    if (this.failure) throw this.failure;
  }

  /** Stops writing; what is buffered is dropped (the attempt is over or not ours). */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.kick();
    this.interruptBackoff?.();
    await this.done;
  }

  /** Anything given to the recorder that is not stored yet. */
  private pending(): boolean {
    return this.steps.length > 0 || this.epochs.length > 0 || this.checkpoint !== undefined || this.progress !== undefined;
  }

  /** Whether a pass has something to write now (progress waits for its interval unless flushed). */
  private writeDue(): boolean {
    return (
      this.steps.length > 0 ||
      this.epochs.length > 0 ||
      this.checkpoint !== undefined ||
      this.progressDue() ||
      Date.now() - this.lastBeat >= this.opts.heartbeatMs
    );
  }

  private progressDue(): boolean {
    return (
      this.progress !== undefined &&
      this.steps.length === 0 &&
      (this.progressUrgent || this.idleWaiters.length > 0 || Date.now() - this.lastBeat >= PROGRESS_INTERVAL_MS)
    );
  }

  private kick(): void {
    this.wake?.();
  }

  private setHeld(held: boolean): void {
    this.held = held;
    this.onHold(held);
  }

  private async run(): Promise<void> {
    let delay = this.opts.retryMs[0];
    let failuresWhileReachable = 0;
    while (!this.stopped) {
      if (!this.writeDue()) {
        if (!this.pending()) for (const resolve of this.idleWaiters.splice(0)) resolve();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      try {
        await this.writeOnce();
        delay = this.opts.retryMs[0];
        failuresWhileReachable = 0;
      } catch (err) {
        if (!isDatabaseUnreachable(err) && (await isReachable(this.db)) && ++failuresWhileReachable >= MAX_FAILURES_WHILE_REACHABLE) {
          this.fail(err as Error);
          return;
        }
        this.log.warn(
          { err: (err as Error).message, retryInMs: delay, bufferedSteps: this.steps.length },
          'PostgreSQL write failed; retrying',
        );
        await new Promise<void>((resolve) => {
          this.interruptBackoff = resolve;
          setTimeout(resolve, delay);
        });
        delay = Math.min(delay * 2, this.opts.retryMs[1]);
      }
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** One pass: steps, then epochs, then a checkpoint, then progress and the heartbeat. */
  private async writeOnce(): Promise<void> {
    while (this.steps.length > 0 && !this.stopped) {
      const batch = this.steps.slice(0, this.opts.batchRows);
      await insertSteps(this.db, this.attempt.id, batch);
      this.steps.splice(0, batch.length);
      if (this.held && this.steps.length < this.opts.maxBufferedRows / 2) this.setHeld(false);
    }
    while (this.epochs.length > 0 && !this.stopped) {
      await saveEpoch(this.db, this.attempt.id, this.epochs[0]);
      this.epochs.shift();
    }
    const checkpoint = this.checkpoint;
    if (checkpoint && !this.stopped) {
      if (!(await saveCheckpoint(this.db, this.attempt, checkpoint))) return this.lost();
      if (this.checkpoint === checkpoint) this.checkpoint = undefined;
    }
    if (this.stopped) return;
    // Progress only counts stored steps: with rows still waiting it waits for the next pass.
    const progress = this.progressDue() ? this.progress : undefined;
    if (!progress && Date.now() - this.lastBeat < this.opts.heartbeatMs) return;
    const answer = await beat(this.db, this.attempt, progress);
    this.lastBeat = Date.now();
    if (progress && this.progress === progress) {
      this.progress = undefined;
      this.progressUrgent = false;
    }
    if (!answer.ours) return this.lost();
    if (answer.cancelRequested) this.onEvent({ kind: 'cancel' });
  }

  private lost(): void {
    this.stopped = true;
    this.onEvent({ kind: 'superseded' });
  }

  private fail(error: Error): void {
    this.failure = error;
    this.stopped = true;
    this.onEvent({ kind: 'failed', error });
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
