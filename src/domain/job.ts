/**
 * A training job request, parsed and checked as a whole: dataset, model, optimizer and
 * training options, with every default filled in. Pure: the API calls it before queueing,
 * so a job that would fail on its input never reaches a worker.
 */
import { invalid } from '../errors.ts';
import { parseOptimizerSpec, type OptimizerSpec } from './optimizer.ts';
import { datasetInfo, parseDatasetSpec, type UploadedLookup } from './dataset.ts';
import type { DatasetInfo, DatasetSpec } from './dataset-types.ts';
import { checkMemory, checkSteps, type AdmissionLimits } from './admission.ts';
import { readBoolean, readNumber, rejectUnknown, requireNumber, requireObject, show } from './fields.ts';
import { checkModel, parseModelSpec, resolveReshapes, type ModelSpec } from './model.ts';
import { expectedWeights, type WeightShape } from './weights.ts';

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  /** Fraction of the examples held out for validation (taken after the seeded shuffle). */
  validationSplit: number;
  /** Shuffle the examples once before the split and the training examples every epoch. */
  shuffle: boolean;
  /** Seed of initial weights, shuffles, dropout and generated data; drawn at submit when absent. */
  seed: number;
}

/**
 * Where a job starts: the weights (and optionally the optimizer state) of a succeeded job, or
 * an uploaded model. `startEpoch` (filled in at submit) is how many epochs the source had
 * trained in all, so this job's epochs continue its numbering and shuffling order.
 */
export type InitFrom = { jobId: string; optimizerState: boolean; startEpoch: number } | { modelId: string };

export interface JobSpec {
  dataset: DatasetSpec;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  training: TrainingSpec;
  initFrom?: InitFrom;
  /** Where to POST when the job ends: checked and added by the API (it resolves the address). */
  notify?: { url: string };
}

export interface JobLimits extends AdmissionLimits {
  maxEpochs: number;
  maxBatchSize: number;
  maxParameters: number;
}

/** Sizes that follow from a spec: what progress counts up to. */
export interface JobPlan {
  dataset: DatasetInfo;
  trainCount: number;
  validationCount: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export const MAX_SEED = 2 ** 31 - 1;

export function parseTrainingSpec(input: unknown, limits: JobLimits, drawSeed: () => number, path = 'training'): TrainingSpec {
  const obj = requireObject(input, path);
  rejectUnknown(obj, ['epochs', 'batchSize', 'validationSplit', 'shuffle', 'seed'], path, 'field');
  return {
    epochs: requireNumber(obj, 'epochs', path, { min: 1, max: limits.maxEpochs, integer: true }),
    batchSize: requireNumber(obj, 'batchSize', path, { min: 1, max: limits.maxBatchSize, integer: true }),
    validationSplit: readNumber(obj, 'validationSplit', path, { min: 0, max: 1, exclusiveMax: true }) ?? 0,
    shuffle: readBoolean(obj, 'shuffle', path) ?? true,
    seed: readNumber(obj, 'seed', path, { min: 0, max: MAX_SEED, integer: true }) ?? drawSeed(),
  };
}

/** How many examples train and validate, as Keras splits: the last fraction validates. */
export function planJob(spec: JobSpec): JobPlan {
  const dataset = datasetInfo(spec.dataset);
  const trainCount = Math.floor(dataset.count * (1 - spec.training.validationSplit));
  const validationCount = dataset.count - trainCount;
  const stepsPerEpoch = Math.ceil(trainCount / spec.training.batchSize);
  return { dataset, trainCount, validationCount, stepsPerEpoch, totalSteps: stepsPerEpoch * spec.training.epochs };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The shape of `initFrom`; whether its job or model exists and fits is checked by the API. */
export function parseInitFrom(input: unknown, path = 'initFrom'): InitFrom {
  const obj = requireObject(input, path);
  const id = (key: string) => {
    const value = obj[key];
    if (typeof value !== 'string' || !UUID.test(value))
      invalid(`${path}.${key}`, `must be the id (a UUID) of ${key === 'jobId' ? 'a job' : 'an uploaded model'}, got ${show(value)}`);
    return value.toLowerCase();
  };
  if ('modelId' in obj) {
    rejectUnknown(obj, ['modelId'], path, 'field');
    return { modelId: id('modelId') };
  }
  if (!('jobId' in obj)) invalid(path, 'needs jobId (a succeeded job) or modelId (an uploaded model)');
  rejectUnknown(obj, ['jobId', 'optimizerState'], path, 'field');
  return { jobId: id('jobId'), optimizerState: readBoolean(obj, 'optimizerState', path) ?? false, startEpoch: 0 };
}

export interface ParsedJob {
  spec: JobSpec;
  plan: JobPlan;
  parameters: number;
  /** The weights the model will have, to check an initFrom source against. */
  weights: WeightShape[];
  /** Whether the request named a seed (a job resumed from another inherits its seed otherwise). */
  seedGiven: boolean;
}

export function parseJobSpec(body: unknown, limits: JobLimits, drawSeed: () => number, uploaded?: UploadedLookup): ParsedJob {
  const obj = requireObject(body, 'body');
  for (const field of ['dataset', 'model', 'optimizer', 'training'] as const) {
    if (obj[field] === undefined) invalid(field, 'is required');
  }
  const spec: JobSpec = {
    dataset: parseDatasetSpec(obj.dataset, 'dataset', uploaded),
    model: parseModelSpec(obj.model),
    optimizer: parseOptimizerSpec(obj.optimizer),
    training: parseTrainingSpec(obj.training, limits, drawSeed),
  };
  if (obj.initFrom !== undefined) spec.initFrom = parseInitFrom(obj.initFrom);
  const info = datasetInfo(spec.dataset);
  const summary = checkModel(spec.model, info.featureShape, info.target, limits.maxParameters);
  const { parameters } = summary;
  spec.model = resolveReshapes(spec.model, summary);
  const plan = planJob(spec);
  if (plan.trainCount < 1) invalid('training.validationSplit', `leaves no example to train on (${info.count} examples)`);
  if (spec.training.validationSplit > 0 && plan.validationCount < 1) {
    invalid('training.validationSplit', `holds out no example of ${info.count}; use a larger split or more samples`);
  }
  checkSteps(plan, spec.training, limits.maxSteps);
  checkMemory(
    spec.model,
    summary,
    spec.optimizer,
    {
      inputShape: info.featureShape,
      batchSize: spec.training.batchSize,
      validationCount: plan.validationCount,
    },
    limits.maxJobMemoryBytes,
  );
  const seedGiven = (obj.training as Record<string, unknown>).seed !== undefined;
  return { spec, plan, parameters, weights: expectedWeights(spec.model, summary, info.featureShape), seedGiven };
}
