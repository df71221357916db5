/**
 * The backend a job trains on, given the one its worker's training process loaded. Native
 * TensorFlow is the fastest for every model but the smallest: a dense model small enough for the
 * fused dense step (dense-plan.ts) trains several times faster on wasm, where one JavaScript
 * kernel does its whole step, than through any call into TensorFlow (measured here: the xor
 * 2-4-1 model at batch 2, ~3,000 steps/s compiled on TensorFlow against 12,000-20,000 on wasm).
 * wasm ships with the npm packages, so a native training process can always load it as well.
 *
 * Decided from the spec alone: every attempt of a job on the same kind of worker trains on the
 * same backend, which is what keeps a resume exact (worker/resume-backend.ts).
 *
 * PURE: the worker calls it before the training process sees the job.
 */
import { datasetInfo } from './dataset.ts';
import { denseStepPlan } from './dense-plan.ts';
import type { JobSpec } from './job.ts';

/** The backends that run on native TensorFlow (tfjs-node, its GPU build). */
export const isNativeBackend = (backend: string): boolean => backend === 'tensorflow' || backend === 'tensorflow-gpu';

export function trainingBackend(spec: JobSpec, loaded: string): string {
  if (!isNativeBackend(loaded)) return loaded;
  const { featureShape } = datasetInfo(spec.dataset);
  return denseStepPlan(spec.model, featureShape, spec.training.batchSize, 'wasm') ? 'wasm' : loaded;
}
