/**
 * PostgreSQL is the source of truth; Redis may lose everything (a restart without persistence).
 * The reconciler makes Redis agree again, at start and every RECONCILE_INTERVAL_MS:
 * - a job PostgreSQL says is `queued` that Redis no longer holds is queued again (also one whose
 *   API process died between the INSERT and the enqueue);
 * - a `running` job whose worker is gone (no heartbeat in PostgreSQL for JOB_LOCK_MS and no
 *   BullMQ lock) goes back to the queue, or fails once it has had JOB_ATTEMPTS attempts; one
 *   BullMQ has failed itself (it stalled too often) fails with BullMQ's reason, should the
 *   workers have missed BullMQ's event.
 * Jobs Redis still drives are left to BullMQ (its stalled-job check restarts those whose worker
 * died). One reconciler runs at a time across every API and worker process: a PostgreSQL
 * advisory lock held for the duration of the pass (store/reconciling.ts).
 */
import { Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { givenUpByQueue } from '../jobs/outcome.ts';
import type { Db } from '../store/db.ts';
import { queuedJobs, recoverSilentJob, silentRunningJobs, whileStillQueued, withReconcileLock } from '../store/reconciling.ts';
import type { TrainingJobData } from '../queue.ts';

const PAGE = 500;
/** BullMQ states in which a worker will (still) run the job without our help. */
const DRIVEN_BY_REDIS = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'active']);

export interface ReconcileReport {
  requeued: string[];
  recovered: string[];
  failed: string[];
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: Queue<TrainingJobData>,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** A pass now, then one every RECONCILE_INTERVAL_MS. */
  start(): void {
    const tick = () => {
      this.running ??= this.runOnce()
        .catch((err: Error) => this.log.warn({ err: err.message }, 'reconciling PostgreSQL with Redis failed; will try again'))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.config.RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; null when another process holds the lock (it is reconciling right now). */
  runOnce(): Promise<ReconcileReport | null> {
    return withReconcileLock(this.db, async () => {
      const report: ReconcileReport = { requeued: [], recovered: [], failed: [] };
      await this.requeueLostQueuedJobs(report);
      await this.recoverSilentRunningJobs(report);
      if (report.requeued.length + report.recovered.length + report.failed.length > 0) {
        this.log.info(report, 'reconciled PostgreSQL with Redis');
      }
      return report;
    });
  }

  private async requeueLostQueuedJobs(report: ReconcileReport): Promise<void> {
    for (let after: string | undefined; ;) {
      const page = await queuedJobs(this.db, PAGE, after);
      for (const { id } of page) {
        if (await this.requeueIfLost(id)) report.requeued.push(id);
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1].id;
    }
  }

  private async recoverSilentRunningJobs(report: ReconcileReport): Promise<void> {
    const staleBefore = new Date(Date.now() - this.config.JOB_LOCK_MS);
    for (const { id, attempts } of await silentRunningJobs(this.db, staleBefore, PAGE)) {
      const state = await this.queue.getJobState(id);
      // A worker still holds it (its PostgreSQL writes may be failing), or BullMQ will restart it.
      if (DRIVEN_BY_REDIS.has(state)) continue;
      const attempt = { id, attempt: attempts };
      if (state === 'failed') {
        // BullMQ gave up on it without our processor (the workers' event handler records that,
        // but an event sent while no worker listened is lost): running it again would defy it.
        const job = await Job.fromId(this.queue, id);
        const reason = job?.failedReason ?? 'failed in the queue';
        const error = givenUpByQueue(job?.stalledCounter ?? 0, this.config.MAX_STALLED_COUNT, reason);
        if (await recoverSilentJob(this.db, attempt, staleBefore, error)) report.failed.push(id);
        continue;
      }
      if (attempts >= this.config.JOB_ATTEMPTS) {
        const error = `its worker stopped responding and it had been tried ${attempts} times (JOB_ATTEMPTS)`;
        if (await recoverSilentJob(this.db, attempt, staleBefore, error)) report.failed.push(id);
      } else if (await recoverSilentJob(this.db, attempt, staleBefore)) {
        await this.requeueIfLost(id);
        report.recovered.push(id);
      }
    }
  }

  /**
   * Adds a job PostgreSQL holds as queued to the queue, unless Redis already drives it or the job
   * is no longer queued (a worker may have run it to its end since the page was read: it would
   * be queued for nothing, and reported as requeued). Answers whether it added it.
   */
  private requeueIfLost(id: string): Promise<boolean> {
    return whileStillQueued(this.db, id, () => this.enqueueUnlessDriven(id));
  }

  /** Adds the job to the queue unless Redis already drives it; answers whether it added it. */
  private async enqueueUnlessDriven(id: string): Promise<boolean> {
    const state = await this.queue.getJobState(id);
    if (DRIVEN_BY_REDIS.has(state)) return false;
    // A finished BullMQ entry under the same id would make add() a no-op: it goes first.
    if (state === 'completed' || state === 'failed') await this.queue.remove(id);
    await this.queue.add('train', { jobId: id }, { jobId: id });
    return true;
  }
}
