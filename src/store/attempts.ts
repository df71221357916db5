/**
 * A worker's attempt at a job: taking it (startAttempt), the heartbeat, its end, and the
 * success transaction. Every write after the start is fenced by the attempt number, so a
 * worker presumed dead that wakes up again can change nothing.
 */
import type { Progress } from '../domain/records.ts';
import type { Db } from './db.ts';
import type { Prisma } from './generated/client.ts';
import { getJob, type JobRow } from './jobs.ts';

/** Our records as Prisma's JSON input (they are plain JSON data: no dates, no classes). */
const json = (value: object): Prisma.InputJsonValue => value;

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

/** Where a row is still held by attempt `a` (every write of an attempt is fenced by it). */
export const heldBy = (a: Attempt) => ({ id: a.id, status: 'running' as const, attempts: a.attempt });

/**
 * The running attempt's heartbeat, with its progress when given. Answers whether the row is still
 * this attempt's, and whether a cancel was asked for (the fallback to the pub/sub message).
 */
export async function beat(db: Db, a: Attempt, progress?: object): Promise<{ ours: boolean; cancelRequested: boolean }> {
  const rows = await db.job.updateManyAndReturn({
    where: heldBy(a),
    data: { heartbeatAt: new Date(), ...(progress ? { progress } : {}) },
    select: { cancelRequested: true },
  });
  return rows.length === 0 ? { ours: false, cancelRequested: false } : { ours: true, cancelRequested: rows[0].cancelRequested };
}

export async function markResumed(db: Db, a: Attempt, step: number): Promise<void> {
  await db.job.updateMany({ where: heldBy(a), data: { resumedFromStep: step } });
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
  const { count } = await db.job.updateMany({ where: heldBy(a), data: ending(status, fields) });
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
        where: heldBy(a),
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
