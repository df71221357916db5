/** Asking one job to stop, for POST /v1/jobs/:id/cancel and for every job of a canceled comparison. */
import type { FastifyBaseLogger } from 'fastify';
import { cancelChannel } from '../queue/queue.ts';
import { requestCancel, type JobRow } from '../store/jobs.ts';
import type { ApiContext } from './context.ts';

/** A queued job is canceled at once; a running one is told to stop. Finished jobs are left as they are. */
export async function cancelJob({ db, queue, redis, config }: ApiContext, id: string, log: FastifyBaseLogger): Promise<JobRow> {
  const job = (await requestCancel(db, id))!;
  if (job.status === 'canceled') {
    await queue.remove(job.id).catch(() => 0); // a worker holding it sees the status and skips it
  } else if (job.status === 'running') {
    // The database flag is set: workers also see it when they next save progress, so a
    // failed announcement only delays the stop.
    await redis.publish(cancelChannel(config), job.id).catch((err) => log.warn({ err }, 'announcing a cancel failed'));
  }
  return job;
}
