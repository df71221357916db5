/**
 * The optimizer state outside the optimizer: iteration count and every slot, keyed by the layer
 * weight's stable name (`l0_dense/kernel`), not by tfjs's process-unique variable name. In
 * memory and in storage the values are float32 arrays; the API shows them as JSON numbers
 * (lossless: a float32 read through float64 prints as a decimal that reads back the same).
 *
 *   { format, optimizer: { name, config }, iterations,
 *     slots: [{ weight, slot, shape, dtype, values }] }
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainerOptimizer } from './optimizers/base.ts';
import type { OptimizerSpec } from '../domain/optimizer.ts';
import { OPTIMIZER_STATE_FORMAT, type OptimizerStateData } from '../domain/optimizer-state.ts';

export { OPTIMIZER_STATE_FORMAT, type OptimizerStateData };

/** variable name (unique in this process) ↔ weight name (stable across processes). */
function weightNames(model: tf.LayersModel): Map<string, string> {
  return new Map(model.trainableWeights.map((w) => [w.name, w.originalName]));
}

export function exportOptimizerState(optimizer: TrainerOptimizer, model: tf.LayersModel, spec: OptimizerSpec): OptimizerStateData {
  const names = weightNames(model);
  const state = optimizer.exportState();
  try {
    return {
      format: OPTIMIZER_STATE_FORMAT,
      optimizer: { name: spec.name, config: spec },
      iterations: state.iterations,
      slots: state.slots.map(({ variable, slot, tensor }) => ({
        weight: names.get(variable) ?? variable,
        slot,
        shape: tensor.shape,
        dtype: 'float32',
        values: Float32Array.from(tensor.dataSync()),
      })),
    };
  } finally {
    state.slots.forEach((s) => s.tensor.dispose());
  }
}

export function importOptimizerState(optimizer: TrainerOptimizer, model: tf.LayersModel, state: OptimizerStateData): void {
  const variableOf = new Map([...weightNames(model)].map(([variable, weight]) => [weight, variable]));
  const slots = state.slots.map((s) => {
    const variable = variableOf.get(s.weight);
    if (!variable) throw new Error(`optimizer state has a slot for weight ${s.weight}, which this model does not have`);
    return { variable, slot: s.slot, tensor: tf.tensor(s.values, s.shape, 'float32') };
  });
  try {
    optimizer.importState({ iterations: state.iterations, slots });
  } finally {
    slots.forEach((s) => s.tensor.dispose());
  }
}
