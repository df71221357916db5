/** Asking one job to stop, for POST /v1/jobs/:id/cancel and for every job of a canceled comparison. */
import type { FastifyBaseLogger } from 'fastify';
import { cancelChannel } from '../worker/queue.ts';
import { requestCancel, type JobRow } from '../store/jobs.ts';
import type { ApiContext } from './context.ts';
import { withRedis } from './unavailable.ts';

/**
 * A queued job is canceled at once, and so is a running one whose worker has been silent for a
 * lock's length (nobody is left to stop it); a running one is told to stop. Finished jobs are
 * left as they are. Redis being down (a bounded wait) does not fail the cancel: PostgreSQL holds it.
 */
export async function cancelJob({ db, queue, redis, config }: ApiContext, id: string, log: FastifyBaseLogger): Promise<JobRow> {
  const job = (await requestCancel(db, id, new Date(Date.now() - config.JOB_LOCK_MS)))!;
  if (job.status === 'canceled') {
    // A worker holding it sees the status and skips it.
    await withRedis(redis, () => queue.remove(job.id)).catch(() => 0);
  } else if (job.status === 'running') {
    // The database flag is set: workers also see it when they next save progress, so a
    // failed announcement only delays the stop.
    await withRedis(redis, () => redis.publish(cancelChannel(config), job.id)).catch((err) =>
      log.warn({ err }, 'announcing a cancel failed'),
    );
  }
  return job;
}
