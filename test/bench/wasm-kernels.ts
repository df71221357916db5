/**
 * Diagnostic (not part of `npm run bench`): wasm's own MaxPoolGrad / Conv2DBackpropInput
 * ("before") against our replacements (src/training/wasm-kernels/faster.ts, "after"): the
 * kernels alone, then training speed of the benchmark CNN (conv2d 8×3×3 relu → maxPool 2 →
 * flatten → dense 10 softmax) and of a two-conv CNN (which also needs Conv2DBackpropInput),
 * batch 64 of 28×28×1, SGD. Prints, asserts nothing.
 *
 *   node --import tsx test/bench/wasm-kernels.ts [steps=20]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { originalWasmKernel } from '../../src/engine/wasm-kernels/faster.ts';

const steps = Number(process.argv[2] ?? 20);
await initBackend('wasm');
const NAMES = ['MaxPoolGrad', 'Conv2DBackpropInput'];
const faster = new Map(NAMES.map((name) => [name, tf.getKernel(name, 'wasm').kernelFunc]));

/** Registers wasm's original kernels (`before`) or ours. */
function use(which: 'before' | 'after'): void {
  for (const name of NAMES) {
    const config = tf.getKernel(name, 'wasm');
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: which === 'before' ? originalWasmKernel(name)! : faster.get(name)! });
  }
}

function msPer(run: () => tf.Tensor, times = 20): number {
  run().dispose();
  const start = performance.now();
  for (let i = 0; i < times; i++) run().dispose();
  tf.tidy(() => tf.scalar(0).dataSync()); // wasm runs synchronously; this just fences
  return (performance.now() - start) / times;
}

function kernelTimes(): string {
  return tf.tidy(() => {
    const x = tf.relu(tf.randomNormal([64, 26, 26, 8], 0, 1, 'float32', 1));
    const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
    const pool = msPer(() =>
      tf.engine().runKernel<tf.Tensor>('MaxPoolGrad', { dy: y, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }),
    );
    const dy = tf.randomNormal([64, 14, 14, 64], 0, 1, 'float32', 2);
    const w = tf.randomNormal([3, 3, 32, 64], 0, 1, 'float32', 3);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [64, 14, 14, 32] };
    const conv = msPer(() => tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: w }, attrs), 5);
    return `MaxPoolGrad [64,26,26,8] 2×2: ${pool.toFixed(2)} ms; Conv2DBackpropInput [64,14,14,32] 3×3 32→64: ${conv.toFixed(1)} ms`;
  });
}

function cnn(twoConvs: boolean): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
  ];
  if (twoConvs) {
    layers.push(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }));
    layers.push(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  layers.push(tf.layers.flatten(), tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }));
  return tf.sequential({ layers });
}

/** samples/s over `steps` SGD steps on one fixed batch of 64, after a warm-up step. */
function samplesPerSecond(twoConvs: boolean): number {
  const model = cnn(twoConvs);
  const optimizer = tf.train.sgd(0.05);
  const x = tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 4);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 5), 10));
  const loss = () => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor);
  const step = () => tf.dispose(optimizer.minimize(loss, true) ?? []);
  step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  model.getWeights()[0].dataSync();
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return (64 * steps) / seconds;
}

const results: Record<string, string[]> = {};
for (const which of ['before', 'after'] as const) {
  use(which);
  results[which] = [
    kernelTimes(),
    `benchmark CNN: ${Math.round(samplesPerSecond(false))} samples/s`,
    `two-conv CNN: ${Math.round(samplesPerSecond(true))} samples/s`,
  ];
}
for (const [which, lines] of Object.entries(results))
  console.log(`${which} (wasm${which === 'before' ? "'s own kernels" : ', ours'}), ${steps} steps:\n  ${lines.join('\n  ')}`);
