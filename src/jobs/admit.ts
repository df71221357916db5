/**
 * Admitting new jobs, for a single job (submit.ts) and a comparison's jobs alike: insert their
 * rows (the insert enforces TENANT_MAX_ACTIVE_JOBS under the tenant's lock), then queue them.
 * Not queued means not accepted: when Redis refuses, the rows are removed again, so a retry
 * (with the same Idempotency-Key) starts afresh, and the answer is a 503 naming Redis.
 */
import { DependencyUnavailableError } from '../errors.ts';
import { enqueueTraining, redisReason } from '../queue.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { insertingActiveJobs } from './quotas.ts';

export interface Admission<T> {
  /** How many jobs the insert adds, to name in the quota's refusal. */
  adding: number;
  insert: () => Promise<T>;
  /** The inserted jobs to queue (none when the insert found them there already). */
  queued: (inserted: T) => string[];
  /** Removes what `insert` stored. */
  remove: (inserted: T) => Promise<unknown>;
}

export async function admitJobs<T>(ctx: UseCaseContext, admission: Admission<T>): Promise<T> {
  const inserted = await insertingActiveJobs(ctx.config, admission.adding, admission.insert);
  const jobIds = admission.queued(inserted);
  try {
    for (const id of jobIds) await enqueueTraining(ctx.queue, id);
  } catch (err) {
    // Jobs already queued find no row and are dropped by the worker.
    await admission.remove(inserted);
    throw new DependencyUnavailableError('redis', redisReason(ctx.redis), { cause: err });
  }
  return inserted;
}
