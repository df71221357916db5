/**
 * The dataset uploads under way in this API process: how many may run at once (in all and per
 * tenant), which pending rows are theirs, and what becomes of them when they end badly or the
 * process stops. A pending row is kept alive while its upload runs (store/datasets.ts
 * touchUploads) and removed once nobody has said so for a while, so neither a crash, nor a
 * database that was down when an upload failed, nor another API process's sweep leaves a row
 * behind or takes one that is still being written.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { QuotaExceededError, ShuttingDownError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { deleteAbandonedUploads, deletePendingUploads, touchUploads } from '../../store/datasets.ts';

/** One admitted upload. Release it exactly once, when its request is done with its rows. */
export interface UploadLease {
  /** Aborted when the process shuts down; its reason is a ShuttingDownError. */
  readonly signal: AbortSignal;
  /** The pending row this upload writes: kept alive, and never swept, while the lease is held. */
  track(datasetId: string): void;
  /** The row could not be removed (the database is down): the registry removes it once it can. */
  leaveBehind(datasetId: string): void;
  release(): void;
}

interface Live {
  tenant: string;
  datasetId?: string;
  controller: AbortController;
}

export class UploadRegistry {
  private readonly live = new Set<Live>();
  private readonly perTenant = new Map<string, number>();
  /** Rows of uploads that ended without their clean-up: deleted on the next sweep that reaches the database. */
  private readonly leftBehind = new Set<string>();
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private closing = false;
  private drained?: () => void;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** A pending row untouched this long is abandoned: twice the heartbeat, and a stalled upload's window on top. */
  get staleMs(): number {
    return this.config.UPLOAD_IDLE_TIMEOUT_MS + 2 * this.config.UPLOAD_SWEEP_INTERVAL_MS;
  }

  /** Takes a place for one upload of `tenant`, or throws a QuotaExceededError (429) naming the limit reached. */
  admit(tenant: string): UploadLease {
    if (this.closing) throw new ShuttingDownError('the service is shutting down; send the upload again');
    // A stalled upload is cut off within one idle window, so a place frees up by then at the latest.
    const retryAfter = Math.max(1, Math.ceil(this.config.UPLOAD_IDLE_TIMEOUT_MS / 1000));
    const mine = this.perTenant.get(tenant) ?? 0;
    if (mine >= this.config.UPLOAD_MAX_CONCURRENT_PER_TENANT) {
      throw new QuotaExceededError(
        'UPLOAD_MAX_CONCURRENT_PER_TENANT',
        this.config.UPLOAD_MAX_CONCURRENT_PER_TENANT,
        `uploads: this tenant has ${mine} dataset uploads under way, its limit; send this one when one of them has ended`,
        retryAfter,
      );
    }
    if (this.live.size >= this.config.UPLOAD_MAX_CONCURRENT) {
      throw new QuotaExceededError(
        'UPLOAD_MAX_CONCURRENT',
        this.config.UPLOAD_MAX_CONCURRENT,
        `uploads: this server has ${this.live.size} dataset uploads under way, its limit; try again shortly`,
        retryAfter,
      );
    }
    const entry: Live = { tenant, controller: new AbortController() };
    this.live.add(entry);
    this.perTenant.set(tenant, mine + 1);
    let released = false;
    return {
      signal: entry.controller.signal,
      track: (datasetId) => {
        entry.datasetId = datasetId;
      },
      leaveBehind: (datasetId) => {
        this.leftBehind.add(datasetId);
      },
      release: () => {
        if (released) return;
        released = true;
        this.live.delete(entry);
        const left = (this.perTenant.get(tenant) ?? 1) - 1;
        if (left > 0) this.perTenant.set(tenant, left);
        else this.perTenant.delete(tenant);
        if (this.live.size === 0) this.drained?.();
      },
    };
  }

  /** Sweeps once now (rows left by a process that died) and then every UPLOAD_SWEEP_INTERVAL_MS. */
  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.UPLOAD_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Marks this process's uploads alive, then removes rows left behind and rows nobody keeps alive. One sweep at a time. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const live = [...this.live].flatMap((e) => (e.datasetId ? [e.datasetId] : []));
    try {
      await touchUploads(this.db, live);
      const leftBehind = [...this.leftBehind];
      const removed = (await deletePendingUploads(this.db, leftBehind)) + (await deleteAbandonedUploads(this.db, this.staleMs, live));
      for (const id of leftBehind) this.leftBehind.delete(id);
      if (removed > 0) this.log.info({ removed }, 'removed dataset uploads that never finished');
    } catch (err) {
      this.log.warn({ err }, 'could not sweep dataset uploads; trying again later');
    }
  }

  /**
   * Shutting down: takes no more uploads, stops those under way (each answers 503 and removes
   * its rows), waits until they have, and removes what they could not.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    if (this.live.size > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      const reason = new ShuttingDownError(
        'the service is shutting down: this upload was stopped and nothing of it is kept; send it again',
      );
      for (const entry of this.live) entry.controller.abort(reason);
      await drained;
    }
    await this.sweeping;
    if (this.leftBehind.size > 0) await this.sweepOnce();
  }
}
