/**
 * Buffers step metrics and writes them in batches, one write at a time, so a fast model's
 * thousands of steps per second become a few inserts per second.
 */
import type { Db } from '../store/db.ts';
import { insertSteps, type StepRow } from '../store/metrics.ts';

export class MetricsWriter {
  private buffer: StepRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly db: Db,
    private readonly jobId: string,
    private readonly opts = { maxRows: 2000, maxDelayMs: 250 },
  ) {}

  add(steps: StepRow[]): void {
    this.buffer.push(...steps);
    if (this.buffer.length >= this.opts.maxRows) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.maxDelayMs);
  }

  /** Writes what is buffered; resolves when every write so far has finished. Throws a write's error. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length > 0) {
      this.writing = this.writing.then(() => insertSteps(this.db, this.jobId, rows)).catch((err: Error) => {
        this.failure ??= err;
      });
    }
    return this.writing.then(() => {
      if (this.failure) throw this.failure;
    });
  }
}
