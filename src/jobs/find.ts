/** The lookup every use case on one job starts with. */
import { NotFoundError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getTenantJob, type JobRow } from '../store/jobs.ts';

/** The tenant's job, or a NotFoundError naming the id (another tenant's job reads exactly like no job). */
export async function requireJob(db: Db, tenant: string, id: string): Promise<JobRow> {
  const job = await getTenantJob(db, tenant, id);
  if (!job) throw new NotFoundError('id', `no job ${id}`);
  return job;
}
