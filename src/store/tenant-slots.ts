/**
 * Fairness between tenants on the workers: a tenant runs at most TENANT_MAX_RUNNING_JOBS jobs
 * at once, so one with 100 queued jobs cannot hold every worker while another tenant waits.
 */
import type { Db } from './db.ts';

/**
 * Takes a running slot for a job: when fewer than `limit` other jobs of its tenant are running,
 * a queued job becomes `running` (a job already running, a retried attempt, keeps its slot)
 * and the answer is true; at the limit nothing changes and the answer is false. Canceled or
 * finished jobs answer true: the caller's own checks deal with them.
 *
 * Check and claim happen under a transaction-scoped advisory lock on the tenant, so two
 * workers taking two jobs of one tenant at the same moment cannot both see a free slot.
 */
export async function claimTenantSlot(db: Db, jobId: string, limit: number): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [job] = await tx.$queryRaw<Array<{ tenant: string; status: string; cancelRequested: boolean }>>`
      SELECT tenant, status::text AS status, "cancelRequested" FROM "Job" WHERE id = ${jobId}::uuid`;
    if (!job || job.status !== 'queued' || job.cancelRequested) return true;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`tenant-slots:${job.tenant}`}))`;
    const running = await tx.job.count({ where: { tenant: job.tenant, status: 'running', id: { not: jobId } } });
    if (running >= limit) return false;
    // With a heartbeat: the reconciler and an immediate cancel take a silent running job for orphaned.
    await tx.job.updateMany({
      where: { id: jobId, status: 'queued', cancelRequested: false },
      data: { status: 'running', heartbeatAt: new Date() },
    });
    return true;
  });
}
