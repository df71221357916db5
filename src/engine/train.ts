/**
 * The training loop: our own loop over batches rather than model.fit, so that every step's
 * loss and learning rate are recorded, the optimizer is ours, a cancel takes effect within
 * one step, and a non-finite loss stops the job at the step it appeared.
 */
import * as tf from '@tensorflow/tfjs';
import { createOptimizer } from './optimizers/registry.ts';
import type { TrainerOptimizer } from './optimizers/base.ts';
import { BatchMaker, disposeBatch } from './batches.ts';
import { PendingLosses } from './loss-reads.ts';
import { stepRunner, type StepRunner } from './step-runner.ts';
import { generateDataset } from './builtin-datasets.ts';
import type { Dataset } from '../domain/dataset-types.ts';
import { countCorrect, meanLoss, targetEncoding, targetShape } from './losses.ts';
import { buildModel } from './model.ts';
import { exportOptimizerState, importOptimizerState } from './optimizer-state-io.ts';
import { deriveSeed, permutation } from './random.ts';
import { saveModel } from './artifacts.ts';
import type { Checkpoint, EpochRecord, Progress, StartingPoint, StepRecord, TrainResult } from '../domain/records.ts';

export type { Checkpoint, EpochRecord, Progress, StartingPoint, StepRecord, TrainResult };
import type { JobPlan, JobSpec } from '../domain/job.ts';
import { keepsCheckpoint, type StopReason } from '../domain/stopping.ts';

export interface TrainHooks {
  onStep(record: StepRecord, progress: Progress): void;
  onEpoch(record: EpochRecord, progress: Progress): void | Promise<void>;
  /** Checked before every step: why to stop now (domain/stopping.ts), if at all. */
  stopRequested(): StopReason | undefined;
  /** Awaited before every step: the worker holds training while it cannot store what it has. */
  mayContinue?(): Promise<void>;
  /** Asked before every step and at every epoch's end whether to save a checkpoint now. */
  checkpointDue?(atEpochEnd: boolean): boolean;
  onCheckpoint?(checkpoint: Checkpoint): void | Promise<void>;
}

/** The loss became NaN or infinite: the job fails and says where. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly value: number,
  ) {
    super(`the loss became ${value} at step ${step} (epoch ${epoch}); the learning rate may be too high for this model`);
  }
}

/** Lets IPC messages (a cancel) in between steps: a resolved await alone never yields to I/O. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function split(count: number, spec: JobSpec, plan: JobPlan): { train: Int32Array; validation: Int32Array } {
  const order = spec.training.shuffle ? permutation(count, deriveSeed(spec.training.seed, 3)) : permutation(count, 0).sort();
  return { train: order.slice(0, plan.trainCount), validation: order.slice(plan.trainCount) };
}

/** `data`: the examples of an uploaded dataset, loaded by the caller; builtin ones are generated here. */
/** How the loop runs on this backend (results do not depend on it). */
export interface TrainOptions {
  /** Steps whose losses are read back together (loss-reads.ts); 1 = every step. */
  lossReadInterval?: number;
  /** TensorFlow's threads for the compiled step (0: TensorFlow's choice, every core). */
  threads?: number;
  /** False keeps the eager path where the compiled step would apply (tests compare the two). */
  compile?: boolean;
}

export async function train(
  spec: JobSpec,
  plan: JobPlan,
  hooks: TrainHooks,
  start: StartingPoint = {},
  data?: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const { seed, epochs, batchSize } = spec.training;
  data ??= generateDataset(spec.dataset, deriveSeed(seed, 0));
  const { train: trainOrder, validation } = split(data.count, spec, plan);
  const model = buildModel(spec.model, data.featureShape, seed);
  const optimizer: TrainerOptimizer = createOptimizer(spec.optimizer);
  const pending = new PendingLosses<{ step: number; epoch: number; learningRate: number; size: number }>(options.lossReadInterval ?? 1);
  let runner: StepRunner | undefined;
  try {
    if (start.weights) loadWeights(model, start.weights);
    if (start.optimizerState) importOptimizerState(optimizer, model, start.optimizerState);
    const outputUnits = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
    const encoding = targetEncoding(spec.model.loss, data.target, outputUnits);
    const withAccuracy = spec.model.metrics.includes('accuracy');
    const batches = new BatchMaker(data, spec.model.loss, encoding, withAccuracy, Math.max(batchSize, EVAL_BATCH));
    const steps = (runner = stepRunner({
      spec,
      featureShape: data.featureShape,
      model,
      optimizer,
      trainable: model.trainableWeights.map((w) => w.read() as tf.Variable),
      batches,
      withAccuracy,
      target: { shape: targetShape(spec.model.loss, encoding, 1).slice(1), outputs: outputUnits },
      compiled: { allowed: options.compile !== false, threads: options.threads ?? 0, deviceBuffer: pending.interval },
    }));
    pending.readDevice = steps.readDevice;
    const { resume } = start;
    // With an optimizer state, steps continue its count; a resumed job's first step is its own.
    const firstStep = optimizer.iterations - (resume?.jobSteps ?? 0);
    const firstEpoch = start.epochOffset ?? 0;
    let step = optimizer.iterations;
    let lastLoss: number | null = resume?.lastLoss ?? null;
    const progress = (epoch: number, samplesPerSecond: number, atStep = step): Progress => ({
      epoch,
      epochs: firstEpoch + epochs,
      step: atStep - firstStep,
      totalSteps: plan.totalSteps,
      loss: lastLoss,
      samplesPerSecond,
    });
    const checkpoint = async (epoch: number, epochOffset: number, epochLossSum: number, epochCorrect: number, epochSeen: number) => {
      if (!hooks.onCheckpoint) return;
      steps.syncBack();
      const { weightSpecs, weightData } = await saveModel(model);
      await hooks.onCheckpoint({
        step,
        jobSteps: step - firstStep,
        epoch,
        epochOffset,
        epochLossSum,
        epochCorrect,
        epochSeen,
        lastLoss,
        weights: { weightSpecs, weightData },
        optimizerState: exportOptimizerState(optimizer, model, spec.optimizer),
      });
    };

    for (let epoch = resume?.epoch ?? firstEpoch + 1; epoch <= firstEpoch + epochs; epoch++) {
      const order = spec.training.shuffle ? shuffled(trainOrder, deriveSeed(seed, 4, epoch)) : trainOrder;
      const started = performance.now();
      const resumed = resume !== undefined && epoch === resume.epoch;
      let lossSum = resumed ? resume.epochLossSum : 0;
      let correct = resumed ? resume.epochCorrect : 0;
      let seen = resumed ? resume.epochSeen : 0;
      let seenHere = 0; // samples/s counts this attempt's examples only
      /** Reads the held losses, in step order: records them, or fails at the first non-finite one. */
      const drain = () => {
        for (const { loss, correct: batchCorrect, info } of pending.read()) {
          if (!Number.isFinite(loss)) throw new NonFiniteLossError(info.step, info.epoch, loss);
          lastLoss = loss;
          lossSum += loss * info.size;
          correct += batchCorrect;
          seen += info.size;
          seenHere += info.size;
          const rate = seenHere / ((performance.now() - started) / 1000);
          hooks.onStep({ step: info.step, epoch: info.epoch, loss, learningRate: info.learningRate }, progress(epoch, rate, info.step));
        }
      };
      for (let from = resumed ? resume.epochOffset : 0; from < order.length; from += batchSize) {
        await yieldToEventLoop();
        await hooks.mayContinue?.();
        const stop = hooks.stopRequested();
        if (stop) drain(); // what a checkpoint or the result holds must have been recorded
        if (stop && keepsCheckpoint(stop)) await checkpoint(epoch, from, lossSum, correct, seen);
        if (stop) return await finish(true);
        if (hooks.checkpointDue?.(false)) {
          drain();
          await checkpoint(epoch, from, lossSum, correct, seen);
        }
        const to = Math.min(from + batchSize, order.length);
        const learningRate = optimizer.currentLearningRate();
        const { size, ...values } = steps.step(order, from, to, step);
        step += 1;
        if (pending.push({ ...values, info: { step, epoch, learningRate, size } })) drain();
      }
      drain();
      const rate = seenHere / ((performance.now() - started) / 1000);
      const record: EpochRecord = { epoch, loss: lossSum / seen };
      if (withAccuracy) record.accuracy = correct / seen;
      if (validation.length > 0) {
        steps.syncBack(); // the evaluation runs the tfjs model
        Object.assign(record, evaluate(model, batches, validation, spec.model.loss, withAccuracy));
      }
      await hooks.onEpoch(record, progress(epoch, rate));
      if (epoch < firstEpoch + epochs && hooks.checkpointDue?.(true)) await checkpoint(epoch + 1, 0, 0, 0, 0);
    }
    return await finish(false);

    async function finish(stopped: boolean): Promise<TrainResult> {
      steps.syncBack();
      return {
        stopped,
        model: await saveModel(model),
        optimizerState: exportOptimizerState(optimizer, model, spec.optimizer),
        finalLoss: lastLoss,
      };
    }
  } finally {
    runner?.close();
    pending.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

/** Examples per forward pass when evaluating: larger than training batches, still bounded. */
const EVAL_BATCH = 512;

function evaluate(model: tf.Sequential, batches: BatchMaker, examples: Int32Array, loss: JobSpec['model']['loss'], withAccuracy: boolean) {
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < examples.length; from += EVAL_BATCH) {
    const batch = batches.make(examples, from, Math.min(from + EVAL_BATCH, examples.length));
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const yPred = model.apply(batch.xs, { training: false }) as tf.Tensor;
      return [meanLoss(loss, batch.ys, yPred).dataSync()[0], batch.classes ? countCorrect(yPred, batch.classes).dataSync()[0] : 0];
    });
    lossSum += batchLoss * batch.size;
    correct += batchCorrect;
    disposeBatch(batch);
  }
  return withAccuracy
    ? { valLoss: lossSum / examples.length, valAccuracy: correct / examples.length }
    : { valLoss: lossSum / examples.length };
}

function shuffled(order: Int32Array, seed: number): Int32Array {
  const p = permutation(order.length, seed);
  const out = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = order[p[i]];
  return out;
}

/**
 * Sets the model's weights from a weight manifest, in manifest order (the order tf.layers saves
 * model.weights in). Names are not matched: an uploaded model may name its layers otherwise;
 * the API has checked that the shapes fit one by one.
 */
function loadWeights(model: tf.Sequential, weights: NonNullable<StartingPoint['weights']>): void {
  const byName = tf.io.decodeWeights(weights.weightData, weights.weightSpecs);
  const tensors = weights.weightSpecs.map((spec) => byName[spec.name]);
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(Object.values(byName));
  }
}
