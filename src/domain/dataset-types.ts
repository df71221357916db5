/** What a dataset is to the training core: flat float32 features and targets, and their shapes. */

/** Classification (targets are class indices) or regression (targets are `dims` numbers). */
export type Target = { kind: 'classes'; classes: number; classNames?: string[] } | { kind: 'regression'; dims: number };

/** The shape of a dataset, known without generating it (the API validates models against it). */
export interface DatasetInfo {
  count: number;
  /** Shape of one example, e.g. [4] for iris, [28, 28, 1] for mnist images. */
  featureShape: number[];
  target: Target;
}

export interface Dataset extends DatasetInfo {
  /** count × prod(featureShape) values, example after example. */
  features: Float32Array;
  /** Classes: count class indices. Regression: count × dims values. */
  targets: Float32Array;
}

export const BUILTIN_DATASETS = ['iris', 'mnist', 'xor', 'spirals', 'linear'] as const;
export type BuiltinName = (typeof BUILTIN_DATASETS)[number];

/** A dataset a user uploaded (POST /v1/datasets): its first `samples` rows; `info` as stored at upload. */
export interface UploadedDatasetSpec {
  id: string;
  samples: number;
  info: DatasetInfo;
}

/** A dataset request with every option resolved to a value: builtin, or uploaded. */
export type DatasetSpec = BuiltinDatasetSpec | UploadedDatasetSpec;

export type BuiltinDatasetSpec =
  | { builtin: 'iris'; samples: number; standardize: boolean }
  | { builtin: 'mnist'; samples: number; shape: 'image' | 'flat' }
  | { builtin: 'xor'; samples: number; noise: number }
  | { builtin: 'spirals'; samples: number; classes: number; turns: number; noise: number }
  | { builtin: 'linear'; samples: number; features: number; outputs: number; noise: number };
