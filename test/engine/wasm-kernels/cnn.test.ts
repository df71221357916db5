/**
 * CNNs train on wasm: every gradient of a conv → pool → batchNorm → depthwise/separable → dense
 * network matches the cpu backend; a small CNN's loss falls under optimizer.minimize without
 * leaking; and the MNIST-sized speed of both backends is printed (not asserted).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, liveCounts, loadBackends, on, seededValues, sizeOf } from './helpers.ts';

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Every layer whose backward pass needs a kernel: Conv2DBackpropFilter/Input, MaxPoolGrad, AvgPoolGrad, the depthwise pair. */
function fullStack(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 2],
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: seeded(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.batchNormalization(),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: seeded(2) }),
      tf.layers.separableConv2d({
        filters: 4,
        kernelSize: 2,
        strides: 2,
        depthwiseInitializer: seeded(3),
        pointwiseInitializer: seeded(4),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(5) }),
    ],
  });
}

/** The brief's small CNN: conv2d 8×3×3 relu → maxPooling2d 2 → flatten → dense 10 softmax. */
function smallCnn(side: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [side, side, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(6) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(7) }),
    ],
  });
}

/** A fixed batch: seeded inputs in [0, 1) and seeded one-hot labels. */
function batch(shape: number[], classes: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.tensor(
    seededValues(sizeOf(shape), seed).map((v) => Math.abs(v) % 1),
    shape,
  );
  const labels = Array.from(seededValues(shape[0], seed + 1), (v) => Math.floor(Math.abs(v) * 1e4) % classes);
  return { x, y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes)) };
}

const loss = (model: tf.Sequential, x: tf.Tensor, y: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor);

function allGradients(): Float32Array[] {
  const model = fullStack();
  const { x, y } = batch([4, 16, 16, 2], 3, 21);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => loss(model, x, y), vars);
  const result = vars.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose([value, x, y, ...Object.values(grads)]);
  model.dispose();
  return result;
}

/** samples/s of `steps` SGD steps of the small CNN on a [64,28,28,1] batch, after one warm-up step. */
async function speed(steps: number): Promise<number> {
  const model = smallCnn(28);
  const optimizer = tf.train.sgd(0.05);
  const { x, y } = batch([64, 28, 28, 1], 10, 31);
  const step = () => tf.dispose(optimizer.minimize(() => loss(model, x, y), true) ?? []);
  step();
  await tf.nextFrame();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  await model.getWeights()[0].data(); // waits for the last step
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return (64 * steps) / seconds;
}

describe('CNN training on wasm', () => {
  before(loadBackends);

  it('gives every trainable weight of a conv/pool/batchNorm/depthwise/separable/dense net the cpu gradient', async () => {
    const expected = await on('cpu', allGradients);
    const actual = await on('wasm', allGradients);
    assert.equal(actual.length, expected.length);
    actual.forEach((g, i) => assertClose(g, expected[i], `weight ${i}`));
  });

  it("lowers the small CNN's loss on a fixed batch with optimizer.minimize (Adam), leaving no tensor or buffer behind", async () => {
    await tf.setBackend('wasm');
    const baseline = liveCounts();
    const model = smallCnn(28);
    const optimizer = tf.train.adam(0.01);
    const { x, y } = batch([16, 28, 28, 1], 10, 41);
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const value = optimizer.minimize(() => loss(model, x, y), true) as tf.Scalar;
      losses.push((await value.data())[0]);
      value.dispose();
    }
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[9] < 0.8 * losses[0], `loss should fall on a fixed batch: ${losses.map((l) => l.toFixed(3))}`);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    assert.deepEqual(liveCounts(), baseline);
  });

  it('prints samples/s of the small CNN on [64,28,28,1] batches, wasm and cpu', async (t) => {
    const wasm = await on('wasm', () => speed(20));
    const cpu = await on('cpu', () => speed(10));
    t.diagnostic(
      `small CNN, batch 64×28×28×1, SGD: wasm ${Math.round(wasm)} samples/s (20 steps), cpu ${Math.round(cpu)} samples/s (10 steps)`,
    );
    await tf.setBackend('wasm');
  });
});
