/**
 * The last builtin dataset a training child generated, kept for its next job: a comparison or
 * sweep submits the same dataset (and seed, where the examples depend on it) several times, and mnist costs ~20 ms to build each
 * time (~200 ms the first time, loading its package). One entry bounds the memory held between
 * jobs. Builtin datasets are a pure function of their spec and seed, so a cached one is the one
 * train() would have generated; uploads are read from the store every time (one may be deleted).
 */
import { generateDataset, isSeeded } from './builtin-datasets.ts';
import { deriveSeed } from './random.ts';
import type { Dataset } from '../domain/dataset-types.ts';
import type { JobSpec } from '../domain/job.ts';

let last: { key: string; data: Dataset } | undefined;

/** The job's builtin dataset as train() generates it (same seed derivation), from the cache when it is the last one. */
export function builtinDataset(spec: JobSpec): Dataset {
  // iris and mnist are the same examples whatever the seed: jobs that differ only in it share them.
  const seeded = 'id' in spec.dataset || isSeeded(spec.dataset);
  const key = JSON.stringify([spec.dataset, seeded ? spec.training.seed : null]);
  if (last?.key !== key) last = { key, data: generateDataset(spec.dataset, deriveSeed(spec.training.seed, 0)) };
  return last.data;
}
