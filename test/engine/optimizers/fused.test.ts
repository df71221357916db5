/**
 * The fused update (one kernel per variable, fused-rules.ts) against the unfused one (the
 * optimizer files' tensor ops), for every optimizer and option, on both backends that have it
 * (cpu, wasm): 30 steps on three variables of different shapes, gradients that vary in sign and
 * size, a learning-rate schedule. The expected values are the unfused path's, computed in the same
 * process with `useFused = false`; they must agree bit for bit (float32 ops in the same order).
 * Native TensorFlow has no fused kernel: there an optimizer asked to fuse must run the unfused
 * ops, with the same bits as asked not to (and so, run twice, the same bits twice).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend.ts';
import { createOptimizer, parseOptimizerSpec } from '../../../src/engine/optimizers/index.ts';
import { FUSED_UPDATE } from '../../../src/engine/optimizers/fused-kernel.ts';
import { uniqueName } from './helpers.ts';
import { backendsHere, hasFusedKernels } from '../../helpers/backends.ts';

const SHAPES = [[7], [3, 5], [2, 3, 4]];
const STEPS = 30;
const SCHEDULE = { type: 'exponential', initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.5 };

const SPECS: Array<Record<string, unknown>> = [
  { name: 'sgd', learningRate: 0.05 },
  { name: 'momentum', learningRate: SCHEDULE },
  { name: 'nesterov', learningRate: 0.05, momentum: 0.8 },
  { name: 'adam', learningRate: 0.05 },
  { name: 'adam', learningRate: SCHEDULE, amsgrad: true },
  { name: 'adamw', learningRate: 0.05 },
  { name: 'adamw', learningRate: 0.05, amsgrad: true, weightDecay: 0.1 },
  { name: 'adagrad', learningRate: 0.05 },
  { name: 'adadelta', learningRate: 1 },
  { name: 'rmsprop', learningRate: 0.01 },
  { name: 'rmsprop', learningRate: 0.01, momentum: 0.9 },
  { name: 'rmsprop', learningRate: 0.01, centered: true },
  { name: 'rmsprop', learningRate: SCHEDULE, centered: true, momentum: 0.5, weightDecay: 0.01 },
  { name: 'adamax', learningRate: 0.05 },
  { name: 'nadam', learningRate: 0.05 },
  { name: 'lion', learningRate: 0.01 },
  { name: 'sgd', learningRate: 0.05, weightDecay: 0.2 },
  { name: 'adam', learningRate: 0.05, clipNorm: 0.5 },
  { name: 'nadam', learningRate: 0.05, globalClipNorm: 0.7 },
  { name: 'lion', learningRate: 0.01, clipValue: 0.3, weightDecay: 0.05 },
];

/** Element k of variable v at step s: mixed signs and magnitudes over four decades. */
function gradient(v: number, s: number, size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, k) => Math.sin(1.3 * k + 0.7 * s + v) * 10 ** (((k + s) % 4) - 2));
}

/** Final variables and slots (as raw float32 bits) after STEPS updates. */
function run(spec: Record<string, unknown>, fused: boolean): number[][] {
  const opt = createOptimizer(parseOptimizerSpec(spec));
  opt.useFused = fused;
  const vars = SHAPES.map((shape, v) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor(
          gradient(
            v + 5,
            0,
            shape.reduce((a, b) => a * b, 1),
          ).map((x) => x * 50),
          shape,
        ),
        true,
        uniqueName(),
      ),
    ),
  );
  for (let s = 0; s < STEPS; s++) {
    const grads = vars.map((w, v) => ({ name: w.name, tensor: tf.tensor(gradient(v, s, w.size), w.shape) }));
    opt.applyGradients(grads);
    grads.forEach((g) => g.tensor.dispose());
  }
  const state = opt.exportState();
  const values = [...vars, ...state.slots.map((sl) => sl.tensor)].map((t) =>
    Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer)),
  );
  state.slots.forEach((sl) => sl.tensor.dispose());
  vars.forEach((w) => w.dispose());
  opt.dispose();
  return values;
}

for (const { backend, skip } of await backendsHere(['cpu', 'wasm', 'tensorflow'] as const)) {
  const fusedHere = hasFusedKernels(backend);
  describe(`fused optimizer update on ${backend}`, { skip }, () => {
    before(async () => {
      await initBackend(backend);
    });
    after(async () => {
      await initBackend('cpu');
    });

    for (const spec of SPECS) {
      const claim = fusedHere ? 'fused equals unfused' : 'no fused kernel here: asked to fuse, it runs the unfused ops,';
      it(`${JSON.stringify(spec)}: ${claim} bit for bit after ${STEPS} steps`, () => {
        const before = tf.memory().numTensors;
        const unfused = run(spec, false);
        const fused = run(spec, true);
        assert.equal(fused.length, unfused.length);
        fused.forEach((bits, i) => assert.deepEqual(bits, unfused[i], `tensor ${i} differs`));
        assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      });
    }

    const kernelsClaim = fusedHere
      ? 'the fused path runs one kernel per variable (the unfused one many more)'
      : 'no fused kernel runs here';
    it(kernelsClaim, async () => {
      const spec = { name: 'adam', learningRate: 0.05 };
      const count = async (fused: boolean) => {
        const opt = createOptimizer(parseOptimizerSpec(spec));
        opt.useFused = fused;
        const vars = SHAPES.map((shape) => tf.variable(tf.ones(shape), true, uniqueName()));
        const grads = vars.map((w) => ({ name: w.name, tensor: tf.onesLike(w) }));
        opt.applyGradients(grads); // slots created outside the count
        const info = await tf.profile(() => {
          opt.applyGradients(grads);
        });
        const kernels = info.kernels.map((k) => k.name);
        grads.forEach((g) => g.tensor.dispose());
        vars.forEach((w) => w.dispose());
        opt.dispose();
        return kernels;
      };
      const fused = await count(true);
      const unfused = await count(false);
      assert.ok(unfused.length >= 8 * SHAPES.length, `unfused: ${unfused.length} kernels`);
      if (!fusedHere) {
        assert.equal(tf.getKernel(FUSED_UPDATE, backend), undefined);
        assert.deepEqual(fused, unfused, 'asked to fuse, the same unfused kernels');
        return;
      }
      assert.equal(fused.filter((k) => k === FUSED_UPDATE).length, SHAPES.length);
      assert.ok(fused.length <= SHAPES.length, `fused: ${fused.join(', ')}`);
    });
  });
}
