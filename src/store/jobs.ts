/**
 * Reads and writes of job rows. Status changes are conditional updates (WHERE status IN …),
 * so a late or repeated message (BullMQ delivers at least once) never moves a finished job.
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

/** Our records as Prisma's JSON input (they are plain JSON data: no dates, no classes). */
const json = (value: object): Prisma.InputJsonValue => value;

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
 * A worker takes the job: queued (or running, when a crashed attempt is started again) becomes
 * running. Returns null when the job finished or a cancel was asked for in the meantime (the
 * caller ends a cancel-requested one: cancelRequestedJob). The attempt number it returns fences
 * every later write of this attempt (see `Attempt`).
 */
export async function startAttempt(db: Db, id: string, backend: string): Promise<JobRow | null> {
  const now = new Date();
  const { count } = await db.job.updateMany({
    where: { id, status: { in: ['queued', 'running'] }, cancelRequested: false },
    data: { status: 'running', backend, attempts: { increment: 1 }, startedAt: now, heartbeatAt: now, resumedFromStep: 0, error: null },
  });
  return count === 1 ? getJob(db, id) : null;
}

/**
 * Cancels a job that is still queued or running with a cancel asked for: what a worker does with
 * the job startAttempt refused for that flag. One conditional update: a job that has finished
 * stays as it is. Answers whether it canceled it.
 */
export async function cancelRequestedJob(db: Db, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, status: { in: ['queued', 'running'] }, cancelRequested: true },
    data: { status: 'canceled', finishedAt: new Date() },
  });
  return count === 1;
}

/**
 * One attempt at a job. Its writes apply only while the row is still `running` with this attempt
 * number: a worker presumed dead (and replaced) that wakes up again can change nothing.
 */
export interface Attempt {
  id: string;
  attempt: number;
}

const current = (a: Attempt) => ({ id: a.id, status: 'running' as const, attempts: a.attempt });

/**
 * The running attempt's heartbeat, with its progress when given. Answers whether the row is still
 * this attempt's, and whether a cancel was asked for (the fallback to the pub/sub message).
 */
export async function beat(db: Db, a: Attempt, progress?: object): Promise<{ ours: boolean; cancelRequested: boolean }> {
  const rows = await db.job.updateManyAndReturn({
    where: current(a),
    data: { heartbeatAt: new Date(), ...(progress ? { progress } : {}) },
    select: { cancelRequested: true },
  });
  return rows.length === 0 ? { ours: false, cancelRequested: false } : { ours: true, cancelRequested: rows[0].cancelRequested };
}

export async function markResumed(db: Db, a: Attempt, step: number): Promise<void> {
  await db.job.updateMany({ where: current(a), data: { resumedFromStep: step } });
}

export type Ending = { error?: string; progress?: object; divergedAtStep?: number };

/** The columns a job's end sets (or a return to `queued`, which clears finishedAt). */
const ending = (status: 'failed' | 'canceled' | 'queued', fields: Ending) => ({
  status,
  error: fields.error,
  divergedAtStep: fields.divergedAtStep,
  ...(fields.progress ? { progress: json(fields.progress) } : {}),
  finishedAt: status === 'queued' ? null : new Date(),
});

/** Ends the attempt: failed, canceled, or back to `queued` (a shutdown) for another worker. */
export async function endAttempt(db: Db, a: Attempt, status: 'failed' | 'canceled' | 'queued', fields: Ending = {}): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: current(a), data: ending(status, fields) });
  return count === 1;
}

/** Ends a job that no attempt holds (not started yet, or given up on by BullMQ), whoever ran it. */
export async function finishJob(db: Db, id: string, status: 'failed' | 'canceled' | 'queued', fields: Ending = {}): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: { in: ['queued', 'running'] } }, data: ending(status, fields) });
  return count === 1;
}

export interface Artifacts {
  modelTopology: object;
  weightSpecs: object[];
  weightData: Uint8Array;
  /** The optimizer state's JSON without values, and the values as float32 bytes. */
  optimizerState: { header: object; slotData: Uint8Array };
}

/** Why a success was refused: the rows stored are not the rows the plan makes. */
export class IncompleteMetricsError extends Error {
  override readonly name = 'IncompleteMetricsError';
  constructor(
    readonly stored: { steps: number; epochs: number },
    readonly expected: { steps: number; epochs: number },
  ) {
    super(`only ${stored.steps} of ${expected.steps} step rows and ${stored.epochs} of ${expected.epochs} epoch rows are stored`);
  }
}

/**
 * Stores what the job produced and marks it succeeded, in one short transaction, only if every
 * step and epoch row the plan makes is stored (a success with rows missing is the worst bug a
 * training service can have). The checkpoint, no longer needed, goes. The optimizer state's
 * values go in as bytes: as JSON (through Prisma's Json) they took about 500 ms for Adam on a
 * 100,000-weight model, and a model at the parameter limit would make hundreds of MB of text.
 * False when the attempt is no longer the job's; IncompleteMetricsError when rows are missing.
 */
export async function succeedAttempt(
  db: Db,
  a: Attempt,
  artifacts: Artifacts,
  progress: Progress | undefined,
  expected: { steps: number; epochs: number },
): Promise<boolean> {
  const { id } = a;
  const topology = JSON.stringify(artifacts.modelTopology);
  const specs = JSON.stringify(artifacts.weightSpecs);
  const state = JSON.stringify(artifacts.optimizerState.header);
  const slotData = new Uint8Array(artifacts.optimizerState.slotData);
  const weights = new Uint8Array(artifacts.weightData);
  return db.$transaction(
    async (tx) => {
      const { count } = await tx.job.updateMany({
        where: current(a),
        data: { status: 'succeeded', finishedAt: new Date(), ...(progress ? { progress: json(progress) } : {}) },
      });
      if (count !== 1) return false;
      const [steps, epochs] = await Promise.all([
        tx.stepMetric.count({ where: { jobId: id } }),
        tx.epochMetric.count({ where: { jobId: id } }),
      ]);
      if (steps !== expected.steps || epochs !== expected.epochs) throw new IncompleteMetricsError({ steps, epochs }, expected);
      await tx.jobCheckpoint.deleteMany({ where: { jobId: id } });
      await tx.$executeRaw`
      INSERT INTO "JobArtifacts" ("jobId", "modelTopology", "weightSpecs", "weightData", "optimizerState", "optimizerSlotData")
      VALUES (${id}::uuid, ${topology}::jsonb, ${specs}::jsonb, ${weights}, ${state}::jsonb, ${slotData})
      ON CONFLICT ("jobId") DO UPDATE SET "modelTopology" = EXCLUDED."modelTopology",
        "weightSpecs" = EXCLUDED."weightSpecs", "weightData" = EXCLUDED."weightData",
        "optimizerState" = EXCLUDED."optimizerState", "optimizerSlotData" = EXCLUDED."optimizerSlotData"`;
      return true;
    },
    { timeout: 30_000 },
  );
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

export function getModelArtifacts(db: Db, id: string) {
  return db.jobArtifacts.findUnique({ where: { jobId: id }, select: { modelTopology: true, weightSpecs: true } });
}

/** What a job started from another needs: its weights and, if asked, its optimizer state. */
export function getStartingArtifacts(db: Db, id: string, withOptimizerState: boolean) {
  return db.jobArtifacts.findUnique({
    where: { jobId: id },
    select: { weightSpecs: true, weightData: true, optimizerState: withOptimizerState, optimizerSlotData: withOptimizerState },
  });
}

export function getWeightData(db: Db, id: string) {
  return db.jobArtifacts.findUnique({ where: { jobId: id }, select: { weightData: true } });
}

/** The optimizer state as stored: its JSON header and its values' bytes. */
export function getOptimizerState(db: Db, id: string) {
  return db.jobArtifacts.findUnique({ where: { jobId: id }, select: { optimizerState: true, optimizerSlotData: true } });
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
    where: { ...current(a), OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }] },
    data: error ? { status: 'failed', error, finishedAt: new Date() } : { status: 'queued' },
  });
  return count === 1;
}
