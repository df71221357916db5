/**
 * An estimate of a job's peak memory, worked out from its spec alone (pure: the API refuses a
 * job that cannot fit before it is queued, and a training child names the largest layer when a
 * job ran out of memory anyway). Every tensor is float32, 4 bytes a value.
 *
 *   weights      P × 4                      P = the model's parameters (as checkModel counts them)
 *   gradients    P × 4                      one per weight, alive until the update
 *   slots        P × 4 × s                  s = slot tensors the optimizer keeps per weight (SLOTS)
 *   activations  Σ_layers out_i × B × 4     every layer's output, kept by the gradient tape
 *   their grads  the same again             the backward pass makes one per activation
 *   input        in × B × 4                 the batch of examples
 *
 *   training step = weights + gradients + slots + 2 × activations(B) + input(B)
 *   evaluation    = weights + slots + activations(E) + input(E), E = min(EVAL_ROWS, validation examples)
 *   peak          = the larger of the two
 *
 * A deliberate simplification: kernels' own scratch space and allocator slack are not counted,
 * so the real peak is somewhat higher; a job just under the limit may still fail in its child,
 * which is then retired (see engine/child-failure.ts).
 */
import type { OptimizerName, OptimizerSpec, SpecOf } from './optimizer.ts';
import { layerDescriptor } from './layers.ts';
import type { LayerSpec, ModelSpec, ModelSummary } from './model.ts';

export const BYTES_PER_VALUE = 4;

/**
 * Rows per evaluation forward pass: train.ts evaluates the validation examples in slices of
 * this many (its EVAL_BATCH), and tf.tidy keeps every layer's output of a slice until it ends.
 */
export const EVAL_ROWS = 512;

/** Slot tensors (each the shape of its weight) that each optimizer keeps: see src/engine/optimizers/. */
const SLOTS: { readonly [N in OptimizerName]: (spec: SpecOf<N>) => number } = {
  sgd: (s) => (s.momentum !== 0 ? 1 : 0), // momentum
  momentum: (s) => (s.momentum !== 0 ? 1 : 0),
  nesterov: (s) => (s.momentum !== 0 ? 1 : 0),
  adagrad: () => 1, // accumulator
  adadelta: () => 2, // accumulatedGrad, accumulatedDeltaVar
  rmsprop: (s) => 1 + (s.momentum > 0 ? 1 : 0) + (s.centered ? 1 : 0), // velocity, momentum, averageGradient
  adam: (s) => (s.amsgrad ? 3 : 2), // momentum, velocity, velocityHat
  adamw: (s) => (s.amsgrad ? 3 : 2),
  adamax: () => 2, // momentum, norm
  nadam: () => 2, // momentum, velocity
  lion: () => 1, // momentum
};

export function slotsPerWeight(spec: OptimizerSpec): number {
  return (SLOTS[spec.name] as (s: OptimizerSpec) => number)(spec);
}

/** Layers whose output is a new tensor; flatten and reshape only relabel their input's buffer. */
const keepsOutput = (layer: LayerSpec) => layerDescriptor(layer.type).keepsOutput;

export interface MemoryEstimate {
  /** Estimated peak bytes of the job (the larger of a training step and an evaluation pass). */
  bytes: number;
  /** A training step's peak, and what it holds part by part. */
  training: number;
  parts: { weights: number; gradients: number; slots: number; activations: number; activationGradients: number; input: number };
  /** The evaluation pass's peak (0 when nothing is held out). */
  evaluation: number;
  /** The layer with the largest output per example, and that output's bytes in a training batch. */
  largest: { index: number; type: LayerSpec['type']; shape: number[]; bytes: number };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function estimateJobMemory(
  model: ModelSpec,
  summary: ModelSummary,
  optimizer: OptimizerSpec,
  job: { inputShape: number[]; batchSize: number; validationCount: number },
): MemoryEstimate {
  const weights = summary.parameters * BYTES_PER_VALUE;
  const slots = weights * slotsPerWeight(optimizer);
  const perExample = model.layers.reduce((sum, layer, i) => sum + (keepsOutput(layer) ? size(summary.outputShapes[i]) : 0), 0);
  const activations = (rows: number) => perExample * rows * BYTES_PER_VALUE;
  const input = (rows: number) => size(job.inputShape) * rows * BYTES_PER_VALUE;

  const B = job.batchSize;
  const parts = { weights, gradients: weights, slots, activations: activations(B), activationGradients: activations(B), input: input(B) };
  const training = Object.values(parts).reduce((a, b) => a + b, 0);
  const E = Math.min(EVAL_ROWS, job.validationCount);
  const evaluation = E > 0 ? weights + slots + activations(E) + input(E) : 0;

  // The first of the largest among layers that make a new tensor (a model of flatten/reshape
  // alone has none: then its last layer).
  let index = -1;
  model.layers.forEach((layer, i) => {
    if (keepsOutput(layer) && (index < 0 || size(summary.outputShapes[i]) > size(summary.outputShapes[index]))) index = i;
  });
  if (index < 0) index = model.layers.length - 1;
  const shape = summary.outputShapes[index];
  return {
    bytes: Math.max(training, evaluation),
    training,
    parts,
    evaluation,
    largest: { index, type: model.layers[index].type, shape, bytes: size(shape) * B * BYTES_PER_VALUE },
  };
}

/** 3.5 GiB, 12.0 MiB, 900 bytes: binary units, as the limits are set (CHILD_MAX_WASM_MB). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "model.layers[0] (dense, output [28,28,65536] per example)" */
export function describeLargest(estimate: MemoryEstimate, path = 'model'): string {
  const { index, type, shape } = estimate.largest;
  return `${path}.layers[${index}] (${type}, output [${shape}] per example)`;
}
