/**
 * Reads an uploaded dataset's first `samples` rows from the store into the float32 arrays the
 * training loop takes, slice by slice: memory holds the dataset once plus one slice.
 */
import { readDataset } from '../store/datasets.ts';
import type { ClassEntry } from '../ingest/labels.ts';
import type { Dataset, UploadedDatasetSpec } from '../domain/dataset-types.ts';

export async function loadUploadedDataset(databaseUrl: string, spec: UploadedDatasetSpec): Promise<Dataset> {
  const { info, samples } = spec;
  const stored = await readDataset(databaseUrl, spec.id);
  if (!stored) throw new Error(`dataset ${spec.id} no longer exists`);
  const exampleSize = info.featureShape.reduce((a, b) => a * b, 1);
  const width = info.target.kind === 'regression' ? info.target.dims : 1;
  // Class index of each label code (codes are the order labels were first seen at upload).
  const classOf = new Map(((stored.classes ?? []) as ClassEntry[]).map((c, index) => [c.code, index]));
  const features = new Float32Array(samples * exampleSize);
  const targets = new Float32Array(samples * width);
  let filled = 0;
  for await (const chunk of stored.chunks) {
    const take = Math.min(chunk.rows, samples - filled);
    features.set(chunk.features.subarray(0, take * exampleSize), filled * exampleSize);
    if (info.target.kind === 'regression') {
      targets.set(chunk.values.subarray(0, take * width), filled * width);
    } else {
      for (let i = 0; i < take; i++) targets[filled + i] = classOf.get(chunk.codes[i]) ?? Number.NaN;
    }
    filled += take;
    if (filled === samples) break; // leaving the loop closes the generator and its connection
  }
  if (filled < samples) throw new Error(`dataset ${spec.id} has ${filled} rows, the job needs ${samples}`);
  return { ...info, count: samples, features, targets };
}
