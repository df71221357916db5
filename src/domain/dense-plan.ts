/**
 * Whether a model takes the fused dense training step (engine/dense-step.ts, its kernel), and its
 * plan: dense layers only, with these activations, on cpu or wasm, and little enough work per
 * step that one JavaScript loop beats wasm's SIMD kernels. PURE: the worker asks it too, to
 * choose the backend a job trains on (training-backend.ts).
 */
import type { ModelSpec, Loss } from './model.ts';

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
export type StepActivation = (typeof ACTIVATIONS)[number];
/** The backends that have the kernel (engine/dense-step.ts registers it for these). */
export const DENSE_STEP_BACKENDS = ['wasm', 'cpu'] as const;
/**
 * Batch × parameters up to which the fused step is used. Measured here (wasm): xor 2-4-1 at
 * batch 2 (work 34) ran 12,000-50,000 steps/s with it against 2,400 without. The bound itself is
 * an estimate, not a measured crossover: at 32,768 a step is ~100,000 multiply-adds in JS
 * (~0.1 ms), about what the ~130 kernel calls it replaces cost; larger models keep wasm's SIMD.
 */
export const DENSE_STEP_MAX_WORK = 32_768;

export interface DenseLayer {
  inputs: number;
  units: number;
  activation: StepActivation;
  useBias: boolean;
}

export interface DensePlan {
  layers: DenseLayer[];
  loss: Loss;
}

/** The plan of a model the fused step can train, or undefined when it cannot or should not. */
export function denseStepPlan(spec: ModelSpec, featureShape: number[], batchSize: number, backend: string): DensePlan | undefined {
  if (!(DENSE_STEP_BACKENDS as readonly string[]).includes(backend) || featureShape.length !== 1) return undefined;
  const layers: DenseLayer[] = [];
  let inputs = featureShape[0];
  for (const layer of spec.layers) {
    if (layer.type !== 'dense' || !(ACTIVATIONS as readonly string[]).includes(layer.activation)) return undefined;
    layers.push({ inputs, units: layer.units, activation: layer.activation as StepActivation, useBias: layer.useBias });
    inputs = layer.units;
  }
  const parameters = layers.reduce((n, l) => n + l.inputs * l.units + (l.useBias ? l.units : 0), 0);
  if (layers.length === 0 || batchSize * parameters > DENSE_STEP_MAX_WORK) return undefined;
  return { layers, loss: spec.loss };
}
