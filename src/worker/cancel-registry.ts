/**
 * Running jobs by id, so a cancel (from the pub/sub channel) or a shutdown reaches the child
 * that trains them. A cancel for a job this worker does not run yet is remembered for a minute,
 * in case the job starts here meanwhile.
 */
import type { StopReason } from './protocol.ts';

export class CancelRegistry {
  private readonly requested = new Set<string>();
  private readonly running = new Map<string, (reason: StopReason) => void>();

  cancel(jobId: string): void {
    this.requested.add(jobId);
    this.running.get(jobId)?.('cancel');
    // Forget it later: a cancel for a job this worker never runs must not pile up.
    setTimeout(() => this.requested.delete(jobId), 60_000).unref();
  }
  isRequested(jobId: string): boolean {
    return this.requested.has(jobId);
  }
  track(jobId: string, stop: (reason: StopReason) => void): () => void {
    this.running.set(jobId, stop);
    return () => this.running.delete(jobId);
  }
  stopAll(reason: 'shutdown'): void {
    for (const stop of this.running.values()) stop(reason);
  }
}
