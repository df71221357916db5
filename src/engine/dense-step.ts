/**
 * The fused dense step as a tfjs kernel (`TrainerDenseStep`) on cpu and wasm: one kernel call a
 * step instead of the ~130 tfjs's autodiff runs for a two-layer model. Its maths, and which
 * models take it, are in dense-step-math.ts and spec/dense-plan.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { DENSE_STEP_BACKENDS, type DensePlan } from '../domain/dense-plan.ts';
import { denseStep } from './dense-step-math.ts';
import type { CpuBackend, WasmBackend } from './optimizers/fused-kernel.ts';

export { denseStepPlan, DENSE_STEP_MAX_WORK, type DensePlan } from '../domain/dense-plan.ts';

export const DENSE_STEP = 'TrainerDenseStep';

function stepKernel(backendName: (typeof DENSE_STEP_BACKENDS)[number]): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const plan = JSON.parse(attrs?.plan as string) as DensePlan; // the plan travels as a JSON string attribute
    const weightCount = Object.keys(inputs).filter((k) => k.startsWith('w')).length;
    const infos = [inputs.x, inputs.y, ...Array.from({ length: weightCount }, (_, k) => inputs[`w${k}`])];
    const classesInfo = inputs.c;
    const all = classesInfo ? [...infos, classesInfo] : infos;
    if (all.some((t) => t === undefined || t.dtype !== 'float32')) throw new Error(`${DENSE_STEP}: float32 inputs expected`);
    const given = all as tf.TensorInfo[];
    const batch = given[0].shape[0];
    const shapes = [[], [], ...given.slice(2, 2 + weightCount).map((t) => t.shape)];
    let read: (t: tf.TensorInfo) => Float32Array;
    let outputs: tf.TensorInfo[];
    let views: Float32Array[];
    if (backendName === 'wasm') {
      const wasm = backend as WasmBackend;
      outputs = shapes.map((shape) => wasm.makeOutput(shape, 'float32')); // allocate before taking views
      read = (t) => wasm.typedArrayFromHeap(t);
      views = outputs.map((t) => wasm.typedArrayFromHeap(t));
    } else {
      const cpu = backend as CpuBackend;
      views = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
      outputs = shapes.map((shape, i) => cpu.makeTensorInfo(shape, 'float32', views[i]));
      read = (t) => cpu.data.get(t.dataId).values;
    }
    const result = denseStep(
      plan,
      batch,
      read(given[0]),
      read(given[1]),
      classesInfo ? read(classesInfo) : undefined,
      given.slice(2, 2 + weightCount).map(read),
    );
    views[0][0] = result.loss;
    views[1][0] = result.correct;
    result.gradients.forEach((g, i) => views[i + 2].set(g));
    return outputs;
  };
}

function registerDenseStep(): void {
  for (const backendName of DENSE_STEP_BACKENDS) {
    if (tf.getKernel(DENSE_STEP, backendName) === undefined) {
      tf.registerKernel({ kernelName: DENSE_STEP, backendName, kernelFunc: stepKernel(backendName) });
    }
  }
}

/**
 * One step: loss (scalar), correct count (scalar, 0 without classes) and the gradients, as
 * tensors the caller disposes; `weights` in model.trainableWeights order.
 */
export function runDenseStep(
  plan: DensePlan,
  xs: tf.Tensor,
  ys: tf.Tensor,
  classes: tf.Tensor | undefined,
  weights: tf.Tensor[],
): { loss: tf.Scalar; correct: tf.Scalar; gradients: tf.Tensor[] } {
  registerDenseStep();
  const inputs: tf.NamedTensorMap = { x: xs, y: ys };
  weights.forEach((w, k) => {
    inputs[`w${k}`] = w;
  });
  if (classes) inputs.c = classes;
  const [loss, correct, ...gradients] = tf.engine().runKernel<tf.Tensor[]>(DENSE_STEP, inputs, { plan: JSON.stringify(plan) });
  return { loss: loss as tf.Scalar, correct: correct as tf.Scalar, gradients };
}
