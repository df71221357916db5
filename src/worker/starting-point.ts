/**
 * Loads what a job starts from for the training child: its own checkpoint when an earlier attempt
 * left one, else an earlier job's artifacts or an uploaded model (or nothing: fresh weights).
 */
import { ownArrayBuffer } from '../bytes.ts';
import type { Db } from '../store/db.ts';
import { getStartingArtifacts } from '../store/artifacts.ts';
import { getUploadedWeights } from '../store/models.ts';
import type { JobSpec } from '../domain/job.ts';
import type { StartingPoint } from '../domain/records.ts';
import type { StoredCheckpoint } from '../store/checkpoints.ts';
import { decodeOptimizerState } from '../domain/optimizer-state.ts';

export async function loadStartingPoint(db: Db, spec: JobSpec, checkpoint: StoredCheckpoint | null): Promise<StartingPoint | undefined> {
  const from = spec.initFrom;
  const epochOffset = from && 'jobId' in from ? from.startEpoch : undefined;
  if (checkpoint) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the backend was checked by the worker (resume-backend.ts)
    const { weights, optimizerState, backend, ...resume } = checkpoint;
    return { weights, optimizerState, epochOffset, resume };
  }
  if (!from) return undefined;
  if ('modelId' in from) {
    const model = await getUploadedWeights(db, from.modelId);
    if (!model) throw new Error(`the uploaded model ${from.modelId} this job starts from no longer exists`);
    return { weights: { weightSpecs: model.weightSpecs as never, weightData: ownArrayBuffer(model.weightData) } };
  }
  const artifacts = await getStartingArtifacts(db, from.jobId, from.optimizerState);
  if (!artifacts) throw new Error(`the job ${from.jobId} this job starts from has no stored model`);
  return {
    weights: { weightSpecs: artifacts.weightSpecs as never, weightData: ownArrayBuffer(artifacts.weightData) },
    optimizerState: from.optimizerState ? decodeOptimizerState(artifacts.optimizerState, artifacts.optimizerSlotData ?? null) : undefined,
    epochOffset,
  };
}
