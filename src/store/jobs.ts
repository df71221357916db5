/**
 * Reads and writes of job rows. Status changes are conditional updates (WHERE status IN …),
 * so a late or repeated message (BullMQ delivers at least once) never moves a finished job.
 */
import type { Db } from './db.ts';
import { Prisma } from './generated/client.ts';
import type { JobStatus } from './generated/enums.ts';

export type { JobStatus };

const JOB_FIELDS = {
  id: true, name: true, status: true, spec: true, backend: true, progress: true, error: true,
  cancelRequested: true, attempts: true, createdAt: true, startedAt: true, finishedAt: true,
  idempotencyKey: true, requestHash: true, tenant: true,
} as const;

export type JobRow = Prisma.JobGetPayload<{ select: typeof JOB_FIELDS }>;

export interface NewJob {
  id: string;
  /** Whose job it is: the tenant of the key that submitted it. */
  tenant: string;
  name?: string;
  spec: object;
  progress: object;
  idempotencyKey?: string;
  requestHash?: string;
}

/** Inserts a job; with an idempotency key already used, returns the job that has it instead. */
export async function insertJob(db: Db, job: NewJob): Promise<{ job: JobRow; created: boolean }> {
  try {
    const row = await db.job.create({
      data: { ...job, spec: job.spec as Prisma.InputJsonValue, progress: job.progress as Prisma.InputJsonValue },
      select: JOB_FIELDS,
    });
    return { job: row, created: true };
  } catch (err) {
    if (job.idempotencyKey && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const existing = await findJobByIdempotencyKey(db, job.tenant, job.idempotencyKey);
      if (existing) return { job: existing, created: false };
    }
    throw err;
  }
}

/** Idempotency keys are the tenant's own: another tenant's key never names (or reveals) this job. */
export function findJobByIdempotencyKey(db: Db, tenant: string, key: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { tenant_idempotencyKey: { tenant, idempotencyKey: key } }, select: JOB_FIELDS });
}

/** A job by id, for the worker (which trusts the id it was given). */
export function getJob(db: Db, id: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { id }, select: JOB_FIELDS });
}

/** A job by id as a tenant sees it: another tenant's job is not there. */
export function getTenantJob(db: Db, tenant: string, id: string): Promise<JobRow | null> {
  return db.job.findFirst({ where: { id, tenant }, select: JOB_FIELDS });
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
  db: Db, tenant: string, opts: { status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } },
): Promise<JobPage> {
  const where: Prisma.JobWhereInput = { tenant };
  if (opts.status) where.status = opts.status;
  if (opts.after) {
    const { createdAt, id } = opts.after;
    where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
  }
  const rows = await db.job.findMany({
    where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: opts.limit + 1, select: JOB_FIELDS,
  });
  const jobs = rows.slice(0, opts.limit);
  const last = jobs[jobs.length - 1];
  return { jobs, next: rows.length > opts.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

/**
 * A worker takes the job: queued (or running, when a crashed attempt is started again) becomes
 * running. Returns null when the job was canceled or finished in the meantime.
 */
export async function startAttempt(db: Db, id: string, backend: string): Promise<JobRow | null> {
  const { count } = await db.job.updateMany({
    where: { id, status: { in: ['queued', 'running'] }, cancelRequested: false },
    data: { status: 'running', backend, attempts: { increment: 1 }, startedAt: new Date(), error: null },
  });
  return count === 1 ? getJob(db, id) : null;
}

/** Saves progress; answers whether a cancel was asked for (a fallback to the pub/sub message). */
export async function saveProgress(db: Db, id: string, progress: object): Promise<{ cancelRequested: boolean }> {
  const rows = await db.job.updateManyAndReturn({
    where: { id, status: 'running' },
    data: { progress: progress as Prisma.InputJsonValue },
    select: { cancelRequested: true },
  });
  return { cancelRequested: rows[0]?.cancelRequested ?? true };
}

export async function finishJob(
  db: Db, id: string, status: 'failed' | 'canceled' | 'queued', fields: { error?: string; progress?: object } = {},
): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, status: { in: ['queued', 'running'] } },
    data: {
      status,
      error: fields.error,
      ...(fields.progress ? { progress: fields.progress as Prisma.InputJsonValue } : {}),
      finishedAt: status === 'queued' ? null : new Date(),
    },
  });
  return count === 1;
}

export interface Artifacts {
  modelTopology: object;
  weightSpecs: object[];
  weightData: Uint8Array;
  /** The optimizer state's JSON without values, and the values as float32 bytes. */
  optimizerState: { header: object; slotData: Uint8Array };
}

/**
 * Stores what the job produced and marks it succeeded, in one short transaction. The optimizer
 * state's values go in as bytes: as JSON (through Prisma's Json) they took about 500 ms for Adam
 * on a 100,000-weight model, and a model at the parameter limit would make hundreds of MB of text.
 */
export async function succeedJob(db: Db, id: string, artifacts: Artifacts, progress: object): Promise<boolean> {
  const topology = JSON.stringify(artifacts.modelTopology);
  const specs = JSON.stringify(artifacts.weightSpecs);
  const state = JSON.stringify(artifacts.optimizerState.header);
  const slotData = new Uint8Array(artifacts.optimizerState.slotData);
  const weights = new Uint8Array(artifacts.weightData);
  return db.$transaction(async (tx) => {
    const { count } = await tx.job.updateMany({
      where: { id, status: 'running' },
      data: { status: 'succeeded', finishedAt: new Date(), progress: progress as Prisma.InputJsonValue },
    });
    if (count !== 1) return false;
    await tx.$executeRaw`
      INSERT INTO "JobArtifacts" ("jobId", "modelTopology", "weightSpecs", "weightData", "optimizerState", "optimizerSlotData")
      VALUES (${id}::uuid, ${topology}::jsonb, ${specs}::jsonb, ${weights}, ${state}::jsonb, ${slotData})
      ON CONFLICT ("jobId") DO UPDATE SET "modelTopology" = EXCLUDED."modelTopology",
        "weightSpecs" = EXCLUDED."weightSpecs", "weightData" = EXCLUDED."weightData",
        "optimizerState" = EXCLUDED."optimizerState", "optimizerSlotData" = EXCLUDED."optimizerSlotData"`;
    return true;
  }, { timeout: 30_000 });
}

/** Asks a job to stop. A queued job is canceled at once; a running one when its worker sees the flag. */
export async function requestCancel(db: Db, id: string): Promise<JobRow | null> {
  await db.job.updateMany({
    where: { id, status: 'queued' },
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
