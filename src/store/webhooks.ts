/**
 * The webhook deliveries' queue in PostgreSQL (api/webhooks/dispatcher.ts sends them). A
 * trigger inserts a "WebhookDelivery" row in the transaction that sets a job's final status;
 * every API process claims due rows with FOR UPDATE SKIP LOCKED and a lease (nextAttemptAt
 * moves past the request's timeout), so one process sends each and a crashed sender's come due again.
 */
import type { Db } from './db.ts';

export interface ClaimedDelivery {
  id: string;
  jobId: string;
  url: string;
  event: string;
  /** Counting this one. */
  attempts: number;
}

/** Up to ten due deliveries, leased for `leaseSeconds` and counted as one more attempt. */
export function claimDueDeliveries(db: Db, leaseSeconds: number): Promise<ClaimedDelivery[]> {
  return db.$queryRaw<ClaimedDelivery[]>`
      UPDATE "WebhookDelivery" d
      SET "nextAttemptAt" = CURRENT_TIMESTAMP + make_interval(secs => ${leaseSeconds}), "attempts" = d."attempts" + 1
      WHERE d."id" IN (
        SELECT "id" FROM "WebhookDelivery"
        WHERE "state" = 'pending' AND "nextAttemptAt" <= CURRENT_TIMESTAMP
        ORDER BY "nextAttemptAt" LIMIT 10 FOR UPDATE SKIP LOCKED)
      RETURNING d."id", d."jobId", d."url", d."event", d."attempts"`;
}

export async function markDelivered(db: Db, id: string): Promise<void> {
  await db.$executeRaw`
        UPDATE "WebhookDelivery" SET "state" = 'delivered', "deliveredAt" = CURRENT_TIMESTAMP, "lastError" = NULL
        WHERE "id" = ${id}::uuid`;
}

/** A failed attempt: tried again after `retryInSeconds`, or, when `giveUp`, marked failed for good. */
export async function markAttemptFailed(db: Db, id: string, error: string, giveUp: boolean, retryInSeconds: number): Promise<void> {
  await db.$executeRaw`
        UPDATE "WebhookDelivery" SET "lastError" = ${error},
          "state" = ${giveUp ? 'failed' : 'pending'},
          "nextAttemptAt" = CURRENT_TIMESTAMP + make_interval(secs => ${retryInSeconds})
        WHERE "id" = ${id}::uuid`;
}
