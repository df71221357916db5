/**
 * One client's stream of one job. Whenever the job changes (a notification, a heartbeat as a
 * fallback) it reads from PostgreSQL what the client has not had yet and sends it in order:
 * a non-final `status`, `steps` (in pages, each event's id its last step), new `epoch`
 * records, `progress`, and last the final `status`, after which the stream ends.
 *
 * No gap, no repeat: steps are sent strictly after the last step sent (`lastStep`; a
 * reconnect's Last-Event-ID), and only forward. Rows a retried attempt or a resumed checkpoint
 * writes again at or below `lastStep` are never sent twice. While the job runs, a page stops
 * at a hole in the step numbers (rows not committed yet), so a late batch is not skipped.
 */
import type { Db } from '../../store/db.ts';
import { getJob, type JobRow } from '../../store/jobs.ts';
import { listEpochs, listSteps, type EpochRow } from '../../store/metrics.ts';
import { epochView } from '../epoch-view.ts';
import type { SseWriter } from './sse-writer.ts';

/** Steps per `steps` event: about 80 kB of JSON. */
const PAGE = 1000;
const FINAL = new Set(['succeeded', 'failed', 'canceled']);

export const isFinal = (status: string) => FINAL.has(status);

export class JobStream {
  private pumping = false;
  private again = false;
  private lastProgress = '';
  private lastStatus = '';
  /** Epochs at or below this the client has (a resumed stream); above it, those in `epochsSent`. */
  private epochFloor = 0;
  private readonly epochsSent = new Set<number>();
  private done = false;

  /** `lastStep`: the client has every step up to it (0: none). */
  constructor(
    private readonly db: Db,
    private readonly jobId: string,
    private readonly out: SseWriter,
    private lastStep: number,
    private readonly onEnd: () => void,
  ) {}

  /** A resumed stream sends again the epoch record of the epoch the client stopped in. */
  async start(): Promise<void> {
    if (this.lastStep > 0) {
      const [at] = await listSteps(this.db, this.jobId, this.lastStep, 1);
      this.epochFloor = at ? at.epoch - 1 : 0;
    }
    this.wake();
  }

  /** Something changed: read and send it. Calls while a pass runs fold into one more pass. */
  wake(): void {
    if (this.done) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.done);
      } catch {
        // The client left or was dropped, or the database failed: end the stream; the client
        // reconnects with Last-Event-ID and loses nothing.
        this.finish();
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async pass(): Promise<void> {
    // The job first: every row written before a final status is visible to the reads after it.
    const job = await getJob(this.db, this.jobId);
    if (!job) return this.finish();
    const final = isFinal(job.status);
    if (!final && job.status !== this.lastStatus) await this.sendStatus(job);
    await this.sendSteps(final);
    await this.sendEpochs(await listEpochs(this.db, this.jobId));
    const progress = JSON.stringify(progressView(job.progress));
    if (progress !== this.lastProgress) {
      this.lastProgress = progress;
      await this.out.send('progress', JSON.parse(progress));
    }
    if (final) {
      await this.sendStatus(job);
      this.finish();
    }
  }

  private async sendSteps(final: boolean): Promise<void> {
    for (;;) {
      const rows = await listSteps(this.db, this.jobId, this.lastStep + 1, PAGE);
      let n = rows.length;
      if (!final) {
        // Stop at a hole: a batch that commits later must not be skipped. The first step
        // of a stream may be any (a continued job numbers its steps after its source's).
        let expected = this.lastStep > 0 ? this.lastStep + 1 : rows[0]?.step;
        n = 0;
        while (n < rows.length && rows[n].step === expected) {
          n++;
          expected++;
        }
      }
      if (n === 0) return;
      const page = rows.slice(0, n);
      this.lastStep = page[n - 1].step;
      await this.out.send('steps', { steps: page }, this.lastStep);
      if (n < PAGE) return;
    }
  }

  private async sendEpochs(epochs: EpochRow[]): Promise<void> {
    // Not a high-water mark: epoch records are written concurrently with the next epoch's
    // steps, so epoch 39's row can commit after epoch 40's. Each is sent once, when it exists.
    for (const row of epochs) {
      if (row.epoch <= this.epochFloor || this.epochsSent.has(row.epoch)) continue;
      this.epochsSent.add(row.epoch);
      await this.out.send('epoch', epochView(row));
    }
  }

  private async sendStatus(job: JobRow): Promise<void> {
    this.lastStatus = job.status;
    await this.out.send('status', {
      status: job.status,
      ...(job.error ? { error: job.error } : {}),
      attempts: job.attempts,
      finishedAt: job.finishedAt?.toISOString() ?? null,
    });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.out.end();
    this.onEnd();
  }
}

/** The fields in GET /v1/jobs/:id's order (jsonb stores object keys in its own order). */
export function progressView(stored: unknown) {
  const p = (stored ?? {}) as Record<string, unknown>;
  return {
    epoch: p.epoch,
    epochs: p.epochs,
    step: p.step,
    totalSteps: p.totalSteps,
    loss: p.loss ?? null,
    samplesPerSecond: p.samplesPerSecond,
  };
}
