/**
 * Parsing of `dataset` in a job request and the shape each builtin dataset has.
 * Pure: no TensorFlow.js, no data loaded (the API uses it to validate requests).
 */
import { invalid } from '../errors.ts';
import { describe, readBoolean, readChoice, readNumber, rejectUnknown, requireObject, type Json } from './fields.ts';
import { BUILTIN_DATASETS, type BuiltinName, type DatasetInfo, type DatasetSpec } from './dataset-types.ts';

/** Examples shipped by the packages; the generators are capped to keep a job's memory bounded. */
export const IRIS_SIZE = 150;
export const MNIST_SIZE = 10_000;
export const MAX_GENERATED_SAMPLES = 100_000;

const OPTIONS: Record<BuiltinName, readonly string[]> = {
  iris: ['builtin', 'samples', 'standardize'],
  mnist: ['builtin', 'samples', 'shape'],
  xor: ['builtin', 'samples', 'noise'],
  spirals: ['builtin', 'samples', 'classes', 'turns', 'noise'],
  linear: ['builtin', 'samples', 'features', 'outputs', 'noise'],
};

/** Looks up an uploaded dataset's shape by id (the API reads it from the database). */
export type UploadedLookup = (id: string) => DatasetInfo | undefined;

export function parseDatasetSpec(input: unknown, path = 'dataset', uploaded?: UploadedLookup): DatasetSpec {
  const obj = requireObject(input, path);
  if ('id' in obj) {
    rejectUnknown(obj, ['id', 'samples'], path);
    const id = obj.id;
    const info = typeof id === 'string' ? uploaded?.(id) : undefined;
    if (!info) invalid(`${path}.id`, `no uploaded dataset ${describe(id)}`);
    const samples = readNumber(obj, 'samples', path, { min: 1, max: info.count, integer: true }) ?? info.count;
    return { id: id as string, samples, info };
  }
  const builtin = obj.builtin;
  if (typeof builtin !== 'string' || !(BUILTIN_DATASETS as readonly string[]).includes(builtin)) {
    invalid(`${path}.builtin`, `unknown dataset ${describe(builtin)}; builtin datasets: ${BUILTIN_DATASETS.join(', ')}`);
  }
  const name = builtin as BuiltinName;
  rejectUnknown(obj, OPTIONS[name], path);
  const samples = (max: number, fallback: number) =>
    readNumber(obj, 'samples', path, { min: 1, max, integer: true }) ?? fallback;
  const noise = (fallback: number) => readNumber(obj, 'noise', path, { min: 0, max: 10 }) ?? fallback;
  switch (name) {
    case 'iris':
      return { builtin: name, samples: samples(IRIS_SIZE, IRIS_SIZE), standardize: readBoolean(obj, 'standardize', path) ?? true };
    case 'mnist':
      return { builtin: name, samples: samples(MNIST_SIZE, 2000), shape: readChoice(obj, 'shape', path, ['image', 'flat'] as const) ?? 'image' };
    case 'xor':
      return { builtin: name, samples: samples(MAX_GENERATED_SAMPLES, 200), noise: noise(0.1) };
    case 'spirals':
      return {
        builtin: name,
        samples: samples(MAX_GENERATED_SAMPLES, 300),
        classes: readNumber(obj, 'classes', path, { min: 2, max: 10, integer: true }) ?? 2,
        turns: readNumber(obj, 'turns', path, { min: 0.25, max: 5 }) ?? 1,
        noise: noise(0.1),
      };
    case 'linear':
      return {
        builtin: name,
        samples: samples(MAX_GENERATED_SAMPLES, 200),
        features: readNumber(obj, 'features', path, { min: 1, max: 1000, integer: true }) ?? 3,
        outputs: readNumber(obj, 'outputs', path, { min: 1, max: 100, integer: true }) ?? 1,
        noise: noise(0.1),
      };
  }
}

/** Count, example shape and target of a parsed spec, without generating any data. */
export function datasetInfo(spec: DatasetSpec): DatasetInfo {
  if ('id' in spec) return { ...spec.info, count: spec.samples };
  switch (spec.builtin) {
    case 'iris':
      return { count: spec.samples, featureShape: [4], target: { kind: 'classes', classes: 3, classNames: ['setosa', 'versicolor', 'virginica'] } };
    case 'mnist':
      return {
        count: spec.samples,
        featureShape: spec.shape === 'image' ? [28, 28, 1] : [784],
        target: { kind: 'classes', classes: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
      };
    case 'xor':
      return { count: spec.samples, featureShape: [2], target: { kind: 'classes', classes: 2 } };
    case 'spirals':
      return { count: spec.samples, featureShape: [2], target: { kind: 'classes', classes: spec.classes } };
    case 'linear':
      return { count: spec.samples, featureShape: [spec.features], target: { kind: 'regression', dims: spec.outputs } };
  }
}

export type { Json };
