/** Per-step and per-epoch metrics. Steps are written in batches; (jobId, step) makes replays harmless. */
import type { Db } from './db.ts';

export interface StepRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
}

export interface EpochRow {
  epoch: number;
  loss: number;
  valLoss?: number | null;
  accuracy?: number | null;
  valAccuracy?: number | null;
}

/** Rows per statement: four arrays of this length, a few hundred kilobytes. */
const INSERT_BATCH = 10_000;

/**
 * One statement per batch with the columns as arrays (unnest), rather than createMany's bind
 * parameter per value: several times the rows per second (see the metric path in `npm run
 * bench`), and no 32,767-parameter ceiling. ON CONFLICT DO NOTHING makes a replayed batch harmless.
 */
export async function insertSteps(db: Db, jobId: string, steps: StepRow[]): Promise<void> {
  for (let i = 0; i < steps.length; i += INSERT_BATCH) {
    const batch = steps.slice(i, i + INSERT_BATCH);
    await db.$executeRaw`
      INSERT INTO "StepMetric" ("jobId", "step", "epoch", "loss", "learningRate")
      SELECT ${jobId}::uuid, * FROM unnest(
        ${batch.map((s) => s.step)}::int[], ${batch.map((s) => s.epoch)}::int[],
        ${batch.map((s) => s.loss)}::float8[], ${batch.map((s) => s.learningRate)}::float8[])
      ON CONFLICT ("jobId", "step") DO NOTHING`;
  }
}

export async function saveEpoch(db: Db, jobId: string, row: EpochRow): Promise<void> {
  await db.epochMetric.upsert({
    where: { jobId_epoch: { jobId, epoch: row.epoch } },
    create: { jobId, ...row },
    update: row,
  });
}

export function listSteps(db: Db, jobId: string, fromStep: number, limit: number): Promise<StepRow[]> {
  return db.stepMetric.findMany({
    where: { jobId, step: { gte: fromStep } },
    orderBy: { step: 'asc' },
    take: limit,
    select: { step: true, epoch: true, loss: true, learningRate: true },
  });
}

export function listEpochs(db: Db, jobId: string): Promise<EpochRow[]> {
  return db.epochMetric.findMany({
    where: { jobId },
    orderBy: { epoch: 'asc' },
    select: { epoch: true, loss: true, valLoss: true, accuracy: true, valAccuracy: true },
  });
}
