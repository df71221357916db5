/** What a tenant holds, for its quotas (datasets/stored-bytes.ts for bytes, jobs/quotas.ts for jobs). */
import type { Db } from './db.ts';

/** Bytes of the tenant's datasets (as uploaded) and uploaded models (their weights). */
export async function storedBytes(db: Db, tenant: string): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ bytes: bigint | null }>>`
    SELECT (SELECT COALESCE(SUM(bytes), 0) FROM "Dataset" WHERE tenant = ${tenant})
         + (SELECT COALESCE(SUM(octet_length("weightData")), 0) FROM "UploadedModel" WHERE tenant = ${tenant}) AS bytes`;
  return Number(row?.bytes ?? 0);
}
