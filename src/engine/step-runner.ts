/**
 * How one training step runs for a job, chosen once from its spec and backend (never from
 * timings, so every attempt trains the same way and resume stays exact):
 *   - compiled: the whole step as one TensorFlow graph (native TensorFlow; compiled/training.ts),
 *   - fused dense: the small dense models' one-kernel step (dense-step.ts),
 *   - eager: tfjs's autodiff through the model and our optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import type { JobSpec } from '../domain/job.ts';
import { BatchMaker, disposeBatch } from './batches.ts';
import { CompiledTraining, compiledStepRefusal } from './compiled/training.ts';
import { denseStepPlan, runDenseStep } from './dense-step.ts';
import { ON_DEVICE, type DeviceBufferReader, type StepTensors } from './loss-reads.ts';
import { countCorrect, meanLoss } from './losses.ts';
import { setDropoutSeeds } from './model.ts';
import type { TrainerOptimizer } from './optimizers/base.ts';

/** A step's loss and correct count: tensors still to read, numbers, or values held on the device. */
export type StepOutcome = Omit<StepTensors<never>, 'info'> & { size: number };

export interface StepRunner {
  /** Trains on the examples order[from, to) as step number `step` (dropout's seed). */
  step(order: Int32Array, from: number, to: number, step: number): StepOutcome;
  /** Brings the weights and slots into the tfjs model and optimizer (an evaluation, a checkpoint or the result reads them there). */
  syncBack(): void;
  /** Where losses held on the device are read from (the compiled step on a GPU). */
  readDevice?: DeviceBufferReader;
  close(): void;
}

export interface StepContext {
  spec: JobSpec;
  featureShape: number[];
  model: tf.Sequential;
  optimizer: TrainerOptimizer;
  trainable: tf.Variable[];
  batches: BatchMaker;
  withAccuracy: boolean;
  target: { shape: readonly number[]; outputs: number };
  /** TensorFlow's threads for the compiled step (0: its choice) and the steps whose losses it holds. */
  compiled: { allowed: boolean; threads: number; deviceBuffer: number };
}

export function stepRunner(ctx: StepContext): StepRunner {
  const { spec, featureShape, optimizer, trainable, batches, withAccuracy } = ctx;
  const compiled =
    ctx.compiled.allowed && compiledStepRefusal(spec, featureShape, tf.getBackend()) === undefined
      ? CompiledTraining.start(spec, featureShape, optimizer, trainable, { ...ctx.target, withClasses: withAccuracy }, ctx.compiled)
      : undefined;
  if (compiled) {
    return {
      step(order, from, to) {
        const batch = batches.fill(order, from, to);
        const out = compiled.run(batch);
        const [loss, correct] = out === ON_DEVICE ? [ON_DEVICE, ON_DEVICE] : [out.loss, out.correct];
        return { loss, correct: withAccuracy ? correct : undefined, size: batch.size };
      },
      syncBack: () => compiled.syncBack(),
      readDevice: compiled.readDevice,
      close: () => compiled.close(),
    };
  }
  const dense = denseStepPlan(spec.model, featureShape, spec.training.batchSize, tf.getBackend());
  return {
    /** The fused dense kernel's step or tfjs's autodiff; it disposes the batch. */
    step(order, from, to, step) {
      const batch = batches.make(order, from, to);
      let correct: tf.Scalar | undefined;
      let loss: tf.Scalar;
      if (dense) {
        const fused = runDenseStep(dense, batch.xs, batch.ys, batch.classes, trainable);
        optimizer.applyGradients(trainable.map((v, i) => ({ name: v.name, tensor: fused.gradients[i] })));
        tf.dispose(fused.gradients);
        loss = fused.loss;
        if (batch.classes) correct = fused.correct;
        else fused.correct.dispose();
      } else {
        setDropoutSeeds(ctx.model, spec.training.seed, step);
        loss = optimizer.minimize(
          () => {
            const yPred = ctx.model.apply(batch.xs, { training: true }) as tf.Tensor;
            if (batch.classes) correct = tf.keep(countCorrect(yPred, batch.classes));
            return meanLoss(spec.model.loss, batch.ys, yPred);
          },
          true,
          trainable,
        ) as tf.Scalar;
      }
      disposeBatch(batch);
      return { loss, correct, size: batch.size };
    },
    syncBack: () => {},
    close: () => {},
  };
}
