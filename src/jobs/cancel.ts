/** Asking a job to stop: POST /v1/jobs/:id/cancel, and every job of a canceled comparison. */
import { ConflictError } from '../errors.ts';
import { cancelChannel, withRedis } from '../queue.ts';
import { requestCancel, type JobRow } from '../store/jobs.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { requireJob } from './find.ts';

/** Where a failed announcement is logged (a pino or Fastify logger). */
export interface Log {
  warn(obj: object, msg: string): void;
}

/**
 * Cancels the tenant's job `id`: a NotFoundError when it has none, a ConflictError when the job
 * has already succeeded or failed (a canceled one stays canceled).
 */
export async function cancelTenantJob(ctx: UseCaseContext, tenant: string, id: string, log: Log): Promise<JobRow> {
  const before = await requireJob(ctx.db, tenant, id);
  if (before.status === 'succeeded' || before.status === 'failed') {
    throw new ConflictError('id', `job ${before.id} has already ${before.status}; there is nothing to cancel`);
  }
  return cancelJob(ctx, before.id, log);
}

/**
 * A queued job is canceled at once, and so is a running one whose worker has been silent for a
 * lock's length (nobody is left to stop it); a running one is told to stop. Finished jobs are
 * left as they are. Redis being down (a bounded wait) does not fail the cancel: PostgreSQL holds it.
 */
export async function cancelJob({ db, queue, redis, config }: UseCaseContext, id: string, log: Log): Promise<JobRow> {
  const job = (await requestCancel(db, id, new Date(Date.now() - config.JOB_LOCK_MS)))!;
  if (job.status === 'canceled') {
    // A worker holding it sees the status and skips it.
    await withRedis(redis, () => queue.remove(job.id)).catch(() => 0);
  } else if (job.status === 'running') {
    // The database flag is set: workers also see it when they next save progress, so a
    // failed announcement only delays the stop.
    await withRedis(redis, () => redis.publish(cancelChannel(config), job.id)).catch((err: unknown) =>
      log.warn({ err }, 'announcing a cancel failed'),
    );
  }
  return job;
}
