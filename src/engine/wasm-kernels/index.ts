/**
 * Gradient kernels the wasm backend of tfjs 4.22 lacks, built from kernels it has, so CNNs
 * (conv2d, depthwise/separable conv) train on wasm. Everything else a conv → pool → batchNorm →
 * dense backward pass needs (Conv2DBackpropInput, MaxPoolGrad, AvgPoolGrad, FusedBatchNorm's ops)
 * is already native there; faster.ts replaces two of those that are slow (MaxPoolGrad,
 * Conv2DBackpropInput).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.ts';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.ts';

export const MISSING_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
];

/**
 * Registers each kernel unless 'wasm' already has one (a later tfjs, or a second call).
 * Call after importing @tensorflow/tfjs-backend-wasm. Returns the names registered now.
 */
export function registerMissingWasmKernels(): string[] {
  const registered: string[] = [];
  for (const config of MISSING_WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}

/** Kernels wasm has but runs slowly (MaxPoolGrad, Conv2DBackpropInput): see faster.ts. */
export { registerFasterWasmKernels } from './faster.ts';
