/**
 * The tenant's quota on bytes stored (datasets and models), checked when something is uploaded.
 * Over it: a QuotaExceededError (429 with Retry-After) naming the quota and its value. (Jobs at
 * once: jobs/quotas.ts; requests per second: the rate limit in api/auth/plugin.ts.)
 */
import type { Config } from '../config.ts';
import { QuotaExceededError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { storedBytes } from '../store/usage.ts';

/** Stored bytes free only when the tenant deletes something: an hour is "not soon". */
const STORAGE_RETRY_S = 3600;

/**
 * What the tenant stores plus `incoming` bytes must fit. Checked twice per upload: before it,
 * with the declared size (Content-Length, so a large upload is refused before it is read), and
 * once it is parsed, with its real size (a chunked upload declares none).
 */
export async function checkStoredBytes(db: Db, config: Config, tenant: string, incoming: number): Promise<void> {
  const used = await storedBytes(db, tenant);
  if (used + incoming > config.TENANT_MAX_STORED_BYTES) {
    throw new QuotaExceededError(
      'TENANT_MAX_STORED_BYTES',
      config.TENANT_MAX_STORED_BYTES,
      `storage: this tenant stores ${used} bytes of datasets and models; this upload of ${incoming} bytes would pass its ` +
        `limit (delete some first)`,
      STORAGE_RETRY_S,
    );
  }
}
