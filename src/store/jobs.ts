/**
 * Job rows: inserts (within the tenant's limit), reads, lists, and a user's cancel. The rest of
 * a job's life is in attempts.ts (a worker's attempt, fenced, and the success transaction),
 * artifacts.ts (what a finished job produced) and reconciling.ts (the reconciler's queries).
 * Status changes are conditional updates (WHERE status IN …), so a late or repeated message
 * (BullMQ delivers at least once) never moves a finished job.
 */
import type { Db } from './db.ts';
import { Prisma } from './generated/client.ts';
import type { JobStatus } from './generated/enums.ts';
import type { JobSpec } from '../domain/job.ts';
import type { Progress } from '../domain/records.ts';

export type { JobStatus };

const JOB_FIELDS = {
  id: true,
  name: true,
  status: true,
  spec: true,
  backend: true,
  progress: true,
  error: true,
  cancelRequested: true,
  attempts: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  idempotencyKey: true,
  requestHash: true,
  resumedFromStep: true,
  tenant: true,
  checkpoint: { select: { step: true, epoch: true, createdAt: true } },
} as const;

type JobRecord = Prisma.JobGetPayload<{ select: typeof JOB_FIELDS }>;

/** A job row with its JSON columns decoded, here and only here, into the types they were written from. */
export type JobRow = Omit<JobRecord, 'spec' | 'progress'> & { spec: JobSpec; progress: Progress | null };

const toJobRow = (row: JobRecord): JobRow => ({
  ...row,
  spec: row.spec as unknown as JobSpec,
  progress: row.progress as Progress | null,
});
const maybeJobRow = (row: JobRecord | null): JobRow | null => (row ? toJobRow(row) : null);

export interface NewJob {
  id: string;
  /** Whose job it is: the tenant of the key that submitted it. */
  tenant: string;
  name?: string;
  spec: JobSpec;
  progress: Progress;
  idempotencyKey?: string;
  requestHash?: string;
}

/** An insert that would take the tenant past its limit of queued and running jobs: nothing was written. */
export class ActiveJobsLimitError extends Error {
  override readonly name = 'ActiveJobsLimitError';
  constructor(readonly active: number) {
    super(`the tenant has ${active} queued or running jobs`);
  }
}

/** The largest limit PostgreSQL's integer takes: "no limit" for callers that set none (tests, the bench). */
const NO_LIMIT = 2_147_483_647;

/**
 * Inserts one job row unless its tenant already has `maxActive` queued or running jobs, counted
 * under the tenant's lock (the SQL function insert_job_within_limit, one round trip). Answers
 * null when inserted, -1 when the idempotency key is taken, else the tenant's active jobs. Within
 * a transaction (`db` a transaction client) the count includes the jobs it inserted before.
 */
export async function insertJobWithinLimit(db: Db | Prisma.TransactionClient, job: NewJob, maxActive: number): Promise<number | null> {
  const [{ refused }] = await db.$queryRaw<Array<{ refused: number | null }>>`
    SELECT insert_job_within_limit(
      ${job.id}::uuid, ${job.tenant}::text, ${job.name ?? null}::text, ${JSON.stringify(job.spec)}::jsonb,
      ${JSON.stringify(job.progress)}::jsonb, ${job.idempotencyKey ?? null}::text, ${job.requestHash ?? null}::text,
      ${Math.min(maxActive, NO_LIMIT)}::int
    ) AS refused`;
  return refused;
}

/**
 * Inserts a job within its tenant's limit of `maxActive` queued and running jobs. A job whose
 * idempotency key is already taken (a concurrent retry of the same request) is not inserted:
 * the existing one is returned, `created: false`. Past the limit: ActiveJobsLimitError.
 */
export async function insertJob(db: Db, job: NewJob, maxActive: number): Promise<{ job: JobRow; created: boolean }> {
  const refused = await insertJobWithinLimit(db, job, maxActive);
  if (refused === null) return { job: (await getJob(db, job.id))!, created: true };
  if (refused >= 0) throw new ActiveJobsLimitError(refused);
  const existing = await findJobByIdempotencyKey(db, job.tenant, job.idempotencyKey ?? '');
  if (!existing) throw new Error(`job ${job.id}: its idempotency key was taken, yet no job holds it`);
  return { job: existing, created: false };
}

/** Idempotency keys are the tenant's own: another tenant's key never names (or reveals) this job. */
export function findJobByIdempotencyKey(db: Db, tenant: string, key: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { tenant_idempotencyKey: { tenant, idempotencyKey: key } }, select: JOB_FIELDS }).then(maybeJobRow);
}

/** A job by id, for the worker (which trusts the id it was given). */
export function getJob(db: Db, id: string): Promise<JobRow | null> {
  return readJob(db, id, null);
}

/** A job by id as a tenant sees it: another tenant's job is not there. */
export function getTenantJob(db: Db, tenant: string, id: string): Promise<JobRow | null> {
  return readJob(db, id, tenant);
}

/**
 * One job, as `findFirst({ select: JOB_FIELDS })` reads it, in one SQL statement: every client
 * that polls a job lands here, and Prisma's query building plus its separate query for the
 * checkpoint cost twice the time (measured: 554 against 242 µs a read, 10 at once). A test holds
 * it equal to Prisma's read, field for field.
 */
async function readJob(db: Db, id: string, tenant: string | null): Promise<JobRow | null> {
  const rows = await db.$queryRaw<Array<JobRecord & { checkpointStep: number | null; checkpointEpoch: number; checkpointAt: Date }>>`
    SELECT j.id::text, j.name, j.status::text AS status, j.spec, j.backend, j.progress, j.error, j."cancelRequested",
      j.attempts, j."createdAt", j."startedAt", j."finishedAt", j."idempotencyKey", j."requestHash", j."resumedFromStep",
      j.tenant, c.step AS "checkpointStep", c.epoch AS "checkpointEpoch", c."createdAt" AS "checkpointAt"
    FROM "Job" j LEFT JOIN "JobCheckpoint" c ON c."jobId" = j.id
    WHERE j.id = ${id}::uuid AND (${tenant}::text IS NULL OR j.tenant = ${tenant}::text)`;
  if (rows.length === 0) return null;
  const { checkpointStep, checkpointEpoch, checkpointAt, ...job } = rows[0];
  const checkpoint = checkpointStep === null ? null : { step: checkpointStep, epoch: checkpointEpoch, createdAt: checkpointAt };
  return toJobRow({ ...job, checkpoint });
}

/** The tenant's jobs that are queued or running (its TENANT_MAX_ACTIVE_JOBS quota). */
export function countActiveJobs(db: Db, tenant: string): Promise<number> {
  return db.job.count({ where: { tenant, status: { in: ['queued', 'running'] } } });
}

export function deleteJob(db: Db, id: string): Promise<unknown> {
  return db.job.deleteMany({ where: { id } });
}

export interface JobPage {
  jobs: JobRow[];
  next: { createdAt: Date; id: string } | null;
}

/** Newest first; the cursor is the (createdAt, id) of the last job of the previous page. */
export async function listJobs(
  db: Db,
  tenant: string,
  opts: { status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } },
): Promise<JobPage> {
  const where: Prisma.JobWhereInput = { tenant };
  if (opts.status) where.status = opts.status;
  if (opts.after) {
    const { createdAt, id } = opts.after;
    where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
  }
  const rows = await db.job.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: opts.limit + 1,
    select: JOB_FIELDS,
  });
  const jobs = rows.slice(0, opts.limit).map(toJobRow);
  const last = jobs[jobs.length - 1];
  return { jobs, next: rows.length > opts.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

/**
 * Asks a job to stop. A queued job is canceled at once, and so is a running one whose worker is
 * gone (no heartbeat since `staleBefore`): nobody would ever see the flag. Otherwise the worker
 * stops it when it sees the flag.
 */
export async function requestCancel(db: Db, id: string, staleBefore: Date): Promise<JobRow | null> {
  await db.job.updateMany({
    where: { id, OR: [{ status: 'queued' }, { status: 'running', OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }] }] },
    data: { status: 'canceled', cancelRequested: true, finishedAt: new Date() },
  });
  await db.job.updateMany({ where: { id, status: 'running' }, data: { cancelRequested: true } });
  return getJob(db, id);
}
