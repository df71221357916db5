/**
 * The reconciler's queries (worker/reconciler.ts): one pass at a time across every process,
 * under an advisory lock; the jobs PostgreSQL says are queued, and the running ones whose
 * worker fell silent.
 */
import { heldBy, type Attempt } from './attempts.ts';
import type { Db } from './db.ts';

/** Any constant: the same in every process of one deployment (the migration lock uses another). */
const RECONCILE_LOCK_KEY = 72_616_124;

/**
 * Runs `pass` holding the reconciler's advisory lock for the length of one transaction; null,
 * without running it, when another process holds the lock (it is reconciling right now).
 */
export function withReconcileLock<T>(db: Db, pass: () => Promise<T>): Promise<T | null> {
  return db.$transaction(
    async (tx) => {
      const [{ locked }] = await tx.$queryRaw<
        Array<{ locked: boolean }>
      >`SELECT pg_try_advisory_xact_lock(${RECONCILE_LOCK_KEY}) AS locked`;
      return locked ? pass() : null;
    },
    { maxWait: 10_000, timeout: 10 * 60_000 },
  );
}

/** Jobs PostgreSQL says are queued, oldest first, a page at a time (the reconciler's input). */
export function queuedJobs(db: Db, limit: number, afterId?: string) {
  return db.job.findMany({
    where: { status: 'queued', ...(afterId ? { id: { gt: afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: limit,
    select: { id: true, attempts: true },
  });
}

/**
 * Runs `enqueue` only if the job is still `queued`, its row locked until `enqueue` is done: a list
 * of queued jobs read a moment ago may be stale (a worker may have run the job to its end since),
 * and while the row is locked no worker takes the job and nobody ends it. A row another
 * transaction is changing is waited for, then looked at again. Answers `enqueue`'s answer, or
 * false when the job is no longer queued.
 */
export function whileStillQueued(db: Db, id: string, enqueue: () => Promise<boolean>): Promise<boolean> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Job" WHERE id = ${id}::uuid AND status = 'queued' FOR UPDATE`;
      return rows.length === 1 ? enqueue() : false;
    },
    // enqueue talks to Redis: more than Prisma's 5 s default on a busy machine.
    { timeout: 30_000 },
  );
}

/** Running jobs whose worker has not been heard of since `staleBefore`. */
export function silentRunningJobs(db: Db, staleBefore: Date, limit: number) {
  return db.job.findMany({
    where: { status: 'running', OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }] },
    orderBy: { heartbeatAt: 'asc' },
    take: limit,
    select: { id: true, attempts: true },
  });
}

/**
 * A silent running job back to `queued` (or `failed` with `error`), only if it is still silent
 * and still at the attempt the reconciler saw: a worker that speaks up in between keeps it.
 */
export async function recoverSilentJob(db: Db, a: Attempt, staleBefore: Date, error?: string): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { ...heldBy(a), OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }] },
    data: error ? { status: 'failed', error, finishedAt: new Date() } : { status: 'queued' },
  });
  return count === 1;
}
