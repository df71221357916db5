/**
 * Cancels that arrived (over the pub/sub channel) for jobs this worker does not run yet. A job
 * this worker runs is stopped through BullMQ's own AbortSignal (`worker.cancelJob`); one it
 * has not started may still start here in a moment, so its cancel is remembered for a minute.
 */
export class PendingCancels {
  private readonly requested = new Set<string>();

  remember(jobId: string): void {
    this.requested.add(jobId);
    // Forget it later: a cancel for a job this worker never runs must not pile up.
    setTimeout(() => this.requested.delete(jobId), 60_000).unref();
  }

  has(jobId: string): boolean {
    return this.requested.has(jobId);
  }
}
