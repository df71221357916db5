/**
 * Diagnostic (not part of `npm run bench`): where one training step's time goes, kernel by
 * kernel, for the bench's CNN or MLP on a backend (wasm by default), with tf.profile.
 *
 *   node --import tsx test/bench/profile-kernels.ts [cnn|mlp|xor] [wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../src/engine/backend.ts';

const model = (['mlp', 'xor'] as const).find((m) => m === process.argv[2]) ?? 'cnn';
await initBackend((process.argv[3] ?? 'wasm') as BackendName);
const net = tf.sequential();
if (model === 'cnn') {
  net.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }));
  net.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  net.add(tf.layers.flatten());
} else if (model === 'mlp') {
  net.add(tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }));
}
if (model === 'xor') {
  net.add(tf.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }));
  net.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
} else {
  net.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
}
const optimizer = model === 'xor' ? tf.train.sgd(0.05) : tf.train.adam(0.001);
const batch = model === 'xor' ? 2 : 64;
const xs = tf.randomUniform(model === 'cnn' ? [batch, 28, 28, 1] : [batch, model === 'xor' ? 2 : 784]);
const ys = model === 'xor' ? tf.ones([batch, 1]) : tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
const lossOf = (t: tf.Tensor, p: tf.Tensor) =>
  model === 'xor' ? tf.metrics.binaryCrossentropy(t, p) : tf.metrics.categoricalCrossentropy(t, p);
const step = () => {
  const cost = optimizer.minimize(() => tf.mean<tf.Scalar>(lossOf(ys, net.apply(xs, { training: true }) as tf.Tensor)), true)!;
  cost.dataSync();
  cost.dispose();
};
for (let i = 0; i < (model === 'xor' ? 3000 : 20); i++) step(); // warm (JIT: a tiny model's steps take thousands to settle)
const plain = performance.now();
for (let i = 0; i < 200; i++) step();
const plainMs = (performance.now() - plain) / 200;
const STEPS = 50;
const totals = new Map<string, { ms: number; calls: number }>();
let wall = 0;
for (let i = 0; i < STEPS; i++) {
  const started = performance.now();
  const info = await tf.profile(step);
  wall += performance.now() - started;
  for (const k of info.kernels) {
    const t = totals.get(k.name) ?? { ms: 0, calls: 0 };
    t.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    t.calls += 1;
    totals.set(k.name, t);
  }
}
const kernelMs = [...totals.values()].reduce((s, t) => s + t.ms, 0);
console.log(
  `${model} on ${tf.getBackend()}: ${plainMs.toFixed(3)} ms a step (${batch} examples), ` +
    `${(wall / STEPS).toFixed(2)} ms under tf.profile, kernels ${(kernelMs / STEPS).toFixed(2)} ms, ` +
    `${([...totals.values()].reduce((s, t) => s + t.calls, 0) / STEPS).toFixed(0)} kernel calls`,
);
for (const [name, t] of [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(
    `  ${name.padEnd(28)} ${(t.ms / STEPS).toFixed(3).padStart(8)} ms/step  ` +
      `${(t.calls / STEPS).toFixed(0).padStart(3)} calls  ${((t.ms / kernelMs) * 100).toFixed(1).padStart(5)}%`,
  );
}
