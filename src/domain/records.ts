/**
 * The records the training engine, the worker, the store and the API share: a step, an epoch,
 * progress, a checkpoint, where a job starts from and what it produced. Types only, free of
 * TensorFlow.js (the weight manifest is described here as the engine writes it).
 */
import type { OptimizerStateData } from './optimizer-state.ts';

/** One weight in weights.bin, as TensorFlow.js's weight manifest describes it. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
}

/** A model's weights: the manifest and float32 little-endian values of every weight, in manifest order. */
export interface ModelWeights {
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

/** The trained model as TensorFlow.js artifacts: what model.json and weights.bin are made of. */
export interface ModelArtifacts extends ModelWeights {
  modelTopology: object;
}

export interface StepRecord {
  /** 1-based global step: the optimizer update this loss belongs to. */
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss?: number;
  accuracy?: number;
  valAccuracy?: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSecond: number;
}

/** Where training stands between two steps, within a job's seeded order of epochs and batches. */
export interface TrainingPosition {
  /** Global step of the last update made (optimizer iterations). */
  step: number;
  /** Steps this job has made (a continued job's steps count after its source's). */
  jobSteps: number;
  /** The epoch the next step belongs to, and how many examples of its order are done. */
  epoch: number;
  epochOffset: number;
  /** The epoch record's running sums so far, so a resumed epoch reports what an uninterrupted one would. */
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  lastLoss: number | null;
}

/** Everything needed to go on exactly where training was: position, weights, optimizer state. */
export interface Checkpoint extends TrainingPosition {
  weights: ModelWeights;
  optimizerState: OptimizerStateData;
}

/** Where a job starts from: weights of an earlier job or an upload, optionally its optimizer state. */
export interface StartingPoint {
  weights?: ModelWeights;
  optimizerState?: OptimizerStateData;
  /** Epochs the source trained in all: this job's epochs are numbered (and shuffled) after them. */
  epochOffset?: number;
  /** Resuming this job from its checkpoint: `weights` and `optimizerState` are the checkpoint's. */
  resume?: TrainingPosition;
}

export interface TrainResult {
  stopped: boolean;
  model: ModelArtifacts;
  optimizerState: OptimizerStateData;
  finalLoss: number | null;
}
