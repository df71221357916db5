/**
 * The fused optimizer update as a TensorFlow.js kernel, `TrainerFusedUpdate`: one kernel call
 * per variable computes its new value and new slots (fused-rules.ts) straight in the backend's
 * memory — the wasm heap or the cpu backend's arrays — instead of a dozen elementwise kernels,
 * each with its own engine bookkeeping and intermediate tensor. Registered for `wasm` and `cpu`;
 * other backends (tfjs-node, its GPU build) keep the unfused path, whose kernels run there as
 * native or device code.
 *
 * Inputs: x (the variable), g (its gradient), s0…sk (its slots in slotSpecs order), all float32
 * and of one shape. Attrs: rule, c (the rule's scalars), decay ([weightDecay, lr] or []).
 * Outputs: [x', s0', …, sk'], fresh tensors (never written in place: a clone may share a
 * variable's data).
 */
import * as tf from '@tensorflow/tfjs';
import { decay, FUSED_RULES, type FusedRuleName } from './fused-rules.ts';

export const FUSED_UPDATE = 'TrainerFusedUpdate';
const BACKENDS = ['wasm', 'cpu'] as const;

/**
 * What we use of each backend (neither exports its class type through @tensorflow/tfjs); the
 * fused dense step (engine/dense-step.ts) uses the same.
 */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}
export interface CpuBackend extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

interface Views {
  inputs: Float32Array[];
  outputs: tf.TensorInfo[];
  outputViews: Float32Array[];
}

function wasmViews(backend: WasmBackend, inputs: tf.TensorInfo[], count: number): Views {
  // Allocate every output first: an allocation may grow the heap and detach older views.
  const outputs = Array.from({ length: count }, () => backend.makeOutput(inputs[0].shape, 'float32'));
  return {
    inputs: inputs.map((t) => backend.typedArrayFromHeap(t)),
    outputs,
    outputViews: outputs.map((t) => backend.typedArrayFromHeap(t)),
  };
}

function cpuViews(backend: CpuBackend, inputs: tf.TensorInfo[], count: number): Views {
  const size = inputs[0].shape.reduce((a, b) => a * b, 1);
  const outputViews = Array.from({ length: count }, () => new Float32Array(size));
  return {
    inputs: inputs.map((t) => backend.data.get(t.dataId).values),
    outputs: outputViews.map((values) => backend.makeTensorInfo(inputs[0].shape, 'float32', values)),
    outputViews,
  };
}

function fusedUpdate(backendName: (typeof BACKENDS)[number]): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { rule, c, decay: wdLr } = attrs as { rule: FusedRuleName; c: number[]; decay: number[] };
    const slotCount = Object.keys(inputs).length - 2;
    const given = [inputs.x, inputs.g, ...Array.from({ length: slotCount }, (_, k) => inputs[`s${k}`])];
    const infos = given.filter((t): t is tf.TensorInfo => t !== undefined && t.dtype === 'float32');
    if (infos.length !== given.length) throw new Error(`${FUSED_UPDATE}: float32 x, g and s0…s${slotCount - 1} expected`);
    const views =
      backendName === 'wasm'
        ? wasmViews(backend as WasmBackend, infos, slotCount + 1)
        : cpuViews(backend as CpuBackend, infos, slotCount + 1);
    const [w, g, ...s] = views.inputs;
    const [W, ...S] = views.outputViews;
    const n = w.length;
    let from = w;
    if (wdLr.length === 2) {
      decay(n, w, W, Math.fround(wdLr[0]), Math.fround(wdLr[1]));
      from = W;
    }
    FUSED_RULES[rule](n, from, g, s, W, S, c.map(Math.fround));
    return views.outputs;
  };
}

/** Registers the kernel for wasm and cpu (once); true when the current backend has it. */
export function fusedUpdateAvailable(): boolean {
  for (const backendName of BACKENDS) {
    if (tf.getKernel(FUSED_UPDATE, backendName) === undefined) {
      tf.registerKernel({ kernelName: FUSED_UPDATE, backendName, kernelFunc: fusedUpdate(backendName) });
    }
  }
  return (BACKENDS as readonly string[]).includes(tf.getBackend());
}

/** One variable's update: the new value and new slots, as tensors (tracked by the caller's tidy). */
export function runFusedUpdate(
  variable: tf.Tensor,
  gradient: tf.Tensor,
  slots: tf.Tensor[],
  rule: FusedRuleName,
  c: number[],
  decayWdLr: number[],
): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = { x: variable, g: gradient };
  slots.forEach((s, k) => {
    inputs[`s${k}`] = s;
  });
  return tf.engine().runKernel<tf.Tensor[]>(FUSED_UPDATE, inputs, { rule, c, decay: decayWdLr });
}
