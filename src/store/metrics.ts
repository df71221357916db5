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

/** 5 columns a row: 1,000 rows stay far below PostgreSQL's 32,767 bind parameters. */
const INSERT_BATCH = 1000;

export async function insertSteps(db: Db, jobId: string, steps: StepRow[]): Promise<void> {
  for (let i = 0; i < steps.length; i += INSERT_BATCH) {
    await db.stepMetric.createMany({
      data: steps.slice(i, i + INSERT_BATCH).map((s) => ({ jobId, ...s })),
      skipDuplicates: true,
    });
  }
}

export async function saveEpoch(db: Db, jobId: string, row: EpochRow): Promise<void> {
  await db.epochMetric.upsert({
    where: { jobId_epoch: { jobId, epoch: row.epoch } },
    create: { jobId, ...row },
    update: row,
  });
}

/** A new attempt starts from step 1 again: what an interrupted attempt wrote is replaced. */
export async function clearMetrics(db: Db, jobId: string): Promise<void> {
  await db.$transaction([
    db.stepMetric.deleteMany({ where: { jobId } }),
    db.epochMetric.deleteMany({ where: { jobId } }),
  ]);
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
