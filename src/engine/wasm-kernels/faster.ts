/**
 * Replacements for kernels the wasm backend has but runs slowly, built from its fast ones. Each
 * keeps wasm's original kernel as the fallback for the cases it does not cover (and its
 * setupFunc, which binds the original to the wasm module when the backend initializes).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropInputStuffed } from './conv2d-backprop-input.ts';
import { maxPoolGradFirstMax } from './max-pool-grad.ts';

type Args = Parameters<tf.KernelFunc>[0];
type Faster = (args: Args, fallback: tf.KernelFunc) => ReturnType<tf.KernelFunc>;

export const FASTER_WASM_KERNELS: ReadonlyArray<{ kernelName: string; kernelFunc: Faster }> = [
  { kernelName: tf.MaxPoolGrad, kernelFunc: maxPoolGradFirstMax },
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInputStuffed },
];

/** The kernelFuncs registered here, so a second call (or a reload) does not wrap them twice. */
const ours = new WeakSet<tf.KernelFunc>();
const originals = new Map<string, tf.KernelFunc>();

/**
 * Swaps wasm's kernel for the faster one (unregister, then register with the original as
 * fallback). Call after importing @tensorflow/tfjs-backend-wasm. Returns the names replaced now.
 */
export function registerFasterWasmKernels(): string[] {
  const replaced: string[] = [];
  for (const { kernelName, kernelFunc } of FASTER_WASM_KERNELS) {
    const original = tf.getKernel(kernelName, 'wasm');
    if (original === undefined || ours.has(original.kernelFunc)) continue;
    const fallback = original.kernelFunc;
    const faster: tf.KernelFunc = (args) => kernelFunc(args, fallback);
    ours.add(faster);
    originals.set(kernelName, fallback);
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: faster });
    replaced.push(kernelName);
  }
  return replaced;
}

/** wasm's own kernel behind a replacement (for tests and benchmarks), or the registered one. */
export function originalWasmKernel(kernelName: string): tf.KernelFunc | undefined {
  return originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm')?.kernelFunc;
}
