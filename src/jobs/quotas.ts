/**
 * Per-tenant quotas checked when something is created: jobs queued and running at once, and
 * bytes stored. Over one: 429 with Retry-After and a message naming the quota and its value.
 * (Running jobs at once is the workers' side: store/tenant-slots.ts; requests per second is
 * the rate limit in plugin.ts.)
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { countActiveJobs } from '../../store/jobs.ts';
import { storedBytes } from '../../store/usage.ts';
import { quotaExceeded } from './refusal.ts';

/** A job slot frees when a job ends; a minute is a fair first guess for a client to wait. */
const ACTIVE_RETRY_S = 60;
/** Stored bytes free only when the tenant deletes something: an hour is "not soon". */
const STORAGE_RETRY_S = 3600;

/** Before queueing `adding` jobs (a comparison queues several at once): they must fit beside the tenant's active ones. */
export async function checkActiveJobs(db: Db, config: Config, tenant: string, adding = 1): Promise<void> {
  const active = await countActiveJobs(db, tenant);
  if (active + adding > config.TENANT_MAX_ACTIVE_JOBS) {
    const what = adding === 1 ? 'its limit' : `and ${adding} more would pass its limit`;
    throw quotaExceeded(
      'TENANT_MAX_ACTIVE_JOBS',
      config.TENANT_MAX_ACTIVE_JOBS,
      `jobs: this tenant has ${active} queued or running jobs, ${what}`,
      ACTIVE_RETRY_S,
    );
  }
}

/**
 * What the tenant stores plus `incoming` bytes must fit. Checked twice per upload: before it,
 * with the declared size (Content-Length, so a large upload is refused before it is read), and
 * once it is parsed, with its real size (a chunked upload declares none).
 */
export async function checkStoredBytes(db: Db, config: Config, tenant: string, incoming: number): Promise<void> {
  const used = await storedBytes(db, tenant);
  if (used + incoming > config.TENANT_MAX_STORED_BYTES) {
    throw quotaExceeded(
      'TENANT_MAX_STORED_BYTES',
      config.TENANT_MAX_STORED_BYTES,
      `storage: this tenant stores ${used} bytes of datasets and models; this upload of ${incoming} bytes would pass its ` +
        `limit (delete some first)`,
      STORAGE_RETRY_S,
    );
  }
}
