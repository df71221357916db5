/** What a succeeded job produced (its model and optimizer state), stored by succeedAttempt (attempts.ts). */
import type { Db } from './db.ts';

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
