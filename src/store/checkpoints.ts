/**
 * A running job's latest checkpoint (one row per job, replaced each time), and what resuming from
 * it means for the metrics: rows past it are dropped, since the next attempt writes them again.
 */
import type { Checkpoint } from '../domain/records.ts';
import { decodeOptimizerState, encodeOptimizerState } from '../domain/optimizer-state.ts';
import { ownArrayBuffer } from '../bytes.ts';
import type { Db } from './db.ts';
import type { Attempt } from './attempts.ts';

/** A checkpoint as stored, with the backend that wrote it (null: stored before that was recorded). */
export type StoredCheckpoint = Checkpoint & { backend: string | null };

/**
 * Saves the checkpoint if `a` is still the job's running attempt; answers whether it did. The
 * caller has stored every step and epoch row up to the checkpoint first. The backend recorded is
 * the job row's, which startAttempt set for this very attempt (the same row the fence reads).
 */
export async function saveCheckpoint(db: Db, a: Attempt, c: Checkpoint): Promise<boolean> {
  const specs = JSON.stringify(c.weights.weightSpecs);
  const weights = new Uint8Array(c.weights.weightData);
  const { header, slotData } = encodeOptimizerState(c.optimizerState);
  const state = JSON.stringify(header);
  const count = await db.$executeRaw`
    INSERT INTO "JobCheckpoint" ("jobId", "step", "jobSteps", "epoch", "epochOffset", "epochLossSum", "epochCorrect",
      "epochSeen", "lastLoss", "weightSpecs", "weightData", "optimizerState", "optimizerSlotData", "backend", "createdAt")
    SELECT ${a.id}::uuid, ${c.step}, ${c.jobSteps}, ${c.epoch}, ${c.epochOffset}, ${c.epochLossSum}, ${c.epochCorrect},
      ${c.epochSeen}, ${c.lastLoss}, ${specs}::jsonb, ${weights}, ${state}::jsonb, ${slotData}, j.backend, now()
    FROM "Job" j WHERE j.id = ${a.id}::uuid AND j.status = 'running' AND j.attempts = ${a.attempt}
    ON CONFLICT ("jobId") DO UPDATE SET "step" = EXCLUDED."step", "jobSteps" = EXCLUDED."jobSteps",
      "epoch" = EXCLUDED."epoch", "epochOffset" = EXCLUDED."epochOffset", "epochLossSum" = EXCLUDED."epochLossSum",
      "epochCorrect" = EXCLUDED."epochCorrect", "epochSeen" = EXCLUDED."epochSeen", "lastLoss" = EXCLUDED."lastLoss",
      "weightSpecs" = EXCLUDED."weightSpecs", "weightData" = EXCLUDED."weightData",
      "optimizerState" = EXCLUDED."optimizerState", "optimizerSlotData" = EXCLUDED."optimizerSlotData",
      "backend" = EXCLUDED."backend", "createdAt" = EXCLUDED."createdAt"`;
  return count === 1;
}

export async function loadCheckpoint(db: Db, jobId: string): Promise<StoredCheckpoint | null> {
  const row = await db.jobCheckpoint.findUnique({ where: { jobId } });
  if (!row) return null;
  return {
    step: row.step,
    jobSteps: row.jobSteps,
    epoch: row.epoch,
    epochOffset: row.epochOffset,
    epochLossSum: row.epochLossSum,
    epochCorrect: row.epochCorrect,
    epochSeen: row.epochSeen,
    lastLoss: row.lastLoss,
    weights: { weightSpecs: row.weightSpecs as never, weightData: ownArrayBuffer(row.weightData) },
    optimizerState: decodeOptimizerState(row.optimizerState, row.optimizerSlotData),
    backend: row.backend,
  };
}

/**
 * Before an attempt trains: drop the rows a previous attempt wrote past the checkpoint (all of
 * them without one), since this attempt writes them again, each once.
 */
export async function rewindMetrics(db: Db, jobId: string, checkpoint: Pick<Checkpoint, 'step' | 'epoch'> | null): Promise<void> {
  await db.$transaction([
    db.stepMetric.deleteMany({ where: { jobId, ...(checkpoint ? { step: { gt: checkpoint.step } } : {}) } }),
    db.epochMetric.deleteMany({ where: { jobId, ...(checkpoint ? { epoch: { gte: checkpoint.epoch } } : {}) } }),
  ]);
}
