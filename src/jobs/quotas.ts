/**
 * The tenant's quota on jobs queued and running at once (TENANT_MAX_ACTIVE_JOBS), checked when
 * jobs are created: once early, before the body is checked, and exactly in the insert itself
 * (store/jobs.ts, under the tenant's lock). (Running at once is the workers' side:
 * store/tenant-slots.ts.)
 */
import type { Config } from '../config.ts';
import { QuotaExceededError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { ActiveJobsLimitError, countActiveJobs } from '../store/jobs.ts';

/** A job slot frees when a job ends; a minute is a fair first guess for a client to wait. */
const ACTIVE_RETRY_S = 60;

function activeJobsExceeded(config: Config, active: number, adding: number): QuotaExceededError {
  const what = adding === 1 ? 'its limit' : `and ${adding} more would pass its limit`;
  return new QuotaExceededError(
    'TENANT_MAX_ACTIVE_JOBS',
    config.TENANT_MAX_ACTIVE_JOBS,
    `jobs: this tenant has ${active} queued or running jobs, ${what}`,
    ACTIVE_RETRY_S,
  );
}

/** Before queueing `adding` jobs (a comparison queues several at once): they must fit beside the tenant's active ones. */
export async function checkActiveJobs(db: Db, config: Config, tenant: string, adding = 1): Promise<void> {
  const active = await countActiveJobs(db, tenant);
  if (active + adding > config.TENANT_MAX_ACTIVE_JOBS) throw activeJobsExceeded(config, active, adding);
}

/** Runs an insert that enforces the limit itself; its refusal becomes the same QuotaExceededError. */
export async function insertingActiveJobs<T>(config: Config, adding: number, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (err instanceof ActiveJobsLimitError) throw activeJobsExceeded(config, err.active, adding);
    throw err;
  }
}
