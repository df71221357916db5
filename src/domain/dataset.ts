/**
 * Parsing of `dataset` in a job request and the shape each builtin dataset has.
 * Pure: no TensorFlow.js, no data loaded (the API uses it to validate requests).
 */
import { invalid } from '../errors.ts';
import { readNumber, rejectUnknown, requireObject, show, type Json } from './fields.ts';
import { BUILTIN_DATASETS, type BuiltinDatasetSpec, type BuiltinName, type DatasetInfo, type DatasetSpec } from './dataset-types.ts';
import { readOption, type OptionInfo } from './options.ts';

/** Examples shipped by the packages; the generators are capped to keep a job's memory bounded. */
export const IRIS_SIZE = 150;
export const MNIST_SIZE = 10_000;
export const MAX_GENERATED_SAMPLES = 100_000;

type BuiltinOptions = { [N in BuiltinName]: Omit<Extract<BuiltinDatasetSpec, { builtin: N }>, 'builtin'> };

const noise = {
  kind: 'number',
  bounds: { min: 0, max: 10 },
  default: 0.1,
  description: 'standard deviation of the Gaussian noise added to each feature',
} as const satisfies OptionInfo;
const samples = (max: number, fallback: number, description: string): OptionInfo => ({
  kind: 'integer',
  bounds: { min: 1, max },
  default: fallback,
  description,
});
const generated = (fallback: number) => samples(MAX_GENERATED_SAMPLES, fallback, 'examples generated (seeded by training.seed)');

/** A builtin dataset's spec, by name. */
export type BuiltinSpecOf<N extends BuiltinName> = Extract<BuiltinDatasetSpec, { builtin: N }>;

/** Per builtin dataset: what it is, its options (the parser and the OpenAPI document read them), and its shape. */
export interface BuiltinEntry<N extends BuiltinName> {
  description: string;
  options: { readonly [K in keyof BuiltinOptions[N]]-?: OptionInfo };
  /** Count, example shape and target, without generating any data. */
  info(spec: BuiltinSpecOf<N>): DatasetInfo;
}

const digits = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * The builtin datasets: one entry each, keyed by every BuiltinName (a new name without an entry,
 * or without a generator in engine/builtin-datasets.ts, does not compile).
 */
export const BUILTINS: { readonly [N in BuiltinName]: BuiltinEntry<N> } = {
  iris: {
    description: "Fisher's iris flowers: 4 measurements, 3 classes",
    options: {
      samples: samples(IRIS_SIZE, IRIS_SIZE, 'examples used, of the 150'),
      standardize: { kind: 'boolean', default: true, description: 'scale each feature to mean 0, standard deviation 1' },
    },
    info: (spec) => ({
      count: spec.samples,
      featureShape: [4],
      target: { kind: 'classes', classes: 3, classNames: ['setosa', 'versicolor', 'virginica'] },
    }),
  },
  mnist: {
    description: 'handwritten digits, 28×28 grey levels in [0, 1], 10 classes',
    options: {
      samples: samples(MNIST_SIZE, 2000, 'examples used, of the 10,000 shipped'),
      shape: { kind: 'choice', choices: ['image', 'flat'], default: 'image', description: 'image: [28, 28, 1]; flat: [784]' },
    },
    info: (spec) => ({
      count: spec.samples,
      featureShape: spec.shape === 'image' ? [28, 28, 1] : [784],
      target: { kind: 'classes', classes: 10, classNames: digits },
    }),
  },
  xor: {
    description: "noisy points around the corners of the unit square, class = XOR of the corner's coordinates: 2 features, 2 classes",
    options: { samples: generated(200), noise },
    info: (spec) => ({ count: spec.samples, featureShape: [2], target: { kind: 'classes', classes: 2 } }),
  },
  spirals: {
    description: 'interleaved spiral arms, one class each: 2 features',
    options: {
      samples: generated(300),
      classes: { kind: 'integer', bounds: { min: 2, max: 10 }, default: 2, description: 'arms, one per class' },
      turns: { kind: 'number', bounds: { min: 0.25, max: 5 }, default: 1, description: 'turns of each arm' },
      noise,
    },
    info: (spec) => ({ count: spec.samples, featureShape: [2], target: { kind: 'classes', classes: spec.classes } }),
  },
  linear: {
    description: 'regression: y = W·x + b + noise, with W and b drawn from the seed and x ~ N(0, 1)',
    options: {
      samples: generated(200),
      features: { kind: 'integer', bounds: { min: 1, max: 1000 }, default: 3, description: 'features per example' },
      outputs: { kind: 'integer', bounds: { min: 1, max: 100 }, default: 1, description: 'targets per example' },
      noise,
    },
    info: (spec) => ({ count: spec.samples, featureShape: [spec.features], target: { kind: 'regression', dims: spec.outputs } }),
  },
};

/** A builtin's entry for its spec (TypeScript cannot pair a union's member with its table entry by itself). */
export const builtinEntry = <N extends BuiltinName>(spec: BuiltinSpecOf<N>) => BUILTINS[spec.builtin] as BuiltinEntry<N>;

/** Looks up an uploaded dataset's shape by id (the API reads it from the database). */
export type UploadedLookup = (id: string) => DatasetInfo | undefined;

export function parseDatasetSpec(input: unknown, path = 'dataset', uploaded?: UploadedLookup): DatasetSpec {
  const obj = requireObject(input, path);
  if ('id' in obj) {
    rejectUnknown(obj, ['id', 'samples'], path);
    const id = obj.id;
    const info = typeof id === 'string' ? uploaded?.(id) : undefined;
    if (!info) invalid(`${path}.id`, `no uploaded dataset ${show(id)}`);
    const samples = readNumber(obj, 'samples', path, { min: 1, max: info.count, integer: true }) ?? info.count;
    return { id: id as string, samples, info };
  }
  const builtin = obj.builtin;
  if (typeof builtin !== 'string' || !(BUILTIN_DATASETS as readonly string[]).includes(builtin)) {
    invalid(`${path}.builtin`, `unknown dataset ${show(builtin)}; builtin datasets: ${BUILTIN_DATASETS.join(', ')}`);
  }
  const name = builtin as BuiltinName;
  const options: Readonly<Record<string, OptionInfo>> = BUILTINS[name].options;
  rejectUnknown(obj, ['builtin', ...Object.keys(options)], path, `option of dataset "${name}"`);
  const spec: Record<string, unknown> = { builtin: name };
  for (const [key, info] of Object.entries(options)) spec[key] = readOption(obj, key, path, info);
  // Every option has a default, so each field of this builtin's spec is set, with its type.
  return spec as BuiltinDatasetSpec;
}

/** Count, example shape and target of a parsed spec, without generating any data. */
export function datasetInfo(spec: DatasetSpec): DatasetInfo {
  return 'id' in spec ? { ...spec.info, count: spec.samples } : builtinEntry(spec).info(spec);
}

export type { Json };
