/**
 * Losses and accuracy as Keras computes them: the per-example value from tf.metrics (which
 * clips probabilities by epsilon before the log), averaged over the batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Target } from '../domain/dataset-types.ts';
import type { Loss } from '../domain/model.ts';

const PER_EXAMPLE: Record<Loss, (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor> = {
  meanSquaredError: (t, p) => tf.metrics.meanSquaredError(t, p),
  binaryCrossentropy: (t, p) => tf.metrics.binaryCrossentropy(t, p),
  categoricalCrossentropy: (t, p) => tf.metrics.categoricalCrossentropy(t, p),
  // tf.metrics has no sparse variant: it is the categorical one on one-hot targets.
  sparseCategoricalCrossentropy: (t, p) =>
    tf.metrics.categoricalCrossentropy(tf.oneHot(tf.cast(t, 'int32'), p.shape[p.shape.length - 1]), p),
};

export function meanLoss(loss: Loss, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.mean<tf.Scalar>(PER_EXAMPLE[loss](yTrue, yPred));
}

/**
 * How targets are laid out for a loss: class indices ([b]), one value per example ([b, 1],
 * binary 0/1) or one-hot / regression rows ([b, width]).
 */
export interface TargetEncoding {
  width: number;
  /** 'index': one class index per example; 'oneHot': width values, 1 at the class; 'values': as stored. */
  kind: 'index' | 'oneHot' | 'values';
}

export function targetEncoding(loss: Loss, target: Target, outputUnits: number): TargetEncoding {
  if (target.kind === 'regression') return { kind: 'values', width: target.dims };
  if (loss === 'sparseCategoricalCrossentropy') return { kind: 'index', width: 1 };
  if (outputUnits === 1) return { kind: 'index', width: 1 }; // binary: the class index is the 0/1 target
  return { kind: 'oneHot', width: outputUnits };
}

/** The target rows of examples `order[from..to)`, written into `out`. */
export function fillTargets(
  out: Float32Array,
  targets: Float32Array,
  enc: TargetEncoding,
  order: Int32Array,
  from: number,
  to: number,
): void {
  if (enc.kind === 'oneHot') out.fill(0, 0, (to - from) * enc.width);
  for (let i = from; i < to; i++) {
    const row = i - from;
    const example = order[i];
    if (enc.kind === 'oneHot') out[row * enc.width + targets[example]] = 1;
    else if (enc.kind === 'index') out[row] = targets[example];
    else out.set(targets.subarray(example * enc.width, (example + 1) * enc.width), row * enc.width);
  }
}

/** Tensor shape of a batch of `rows` targets. */
export function targetShape(loss: Loss, enc: TargetEncoding, rows: number): number[] {
  return loss === 'sparseCategoricalCrossentropy' ? [rows] : [rows, enc.width];
}

/** Number of correct predictions in a batch: argmax for several outputs, > 0.5 for one. */
export function countCorrect(yPred: tf.Tensor, classes: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const predicted = yPred.shape[1] === 1 ? tf.cast(tf.greater(tf.reshape(yPred, [-1]), 0.5), 'int32') : tf.argMax(yPred, -1);
    return tf.sum<tf.Scalar>(tf.cast(tf.equal(predicted, tf.cast(classes, 'int32')), 'float32'));
  });
}
