/**
 * The TensorFlow.js 4.22 optimizer defects that made us write our own must be absent here.
 * Each test first shows the defect in tfjs's own optimizer (so the test would notice if the
 * setup could not reveal it), then checks ours.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createOptimizer, parseOptimizerSpec } from '../../../src/engine/optimizers/index.ts';
import { uniqueName, variableOf } from './helpers.ts';
import { onEachBackend } from './backends.ts';

/** Runs `steps` updates of a constant gradient `g` on x = x0 and returns x. */
function constantGradient(opt: tf.Optimizer, x0: number, g: number, steps: number): number {
  const x = variableOf(tf.tensor1d([x0]), uniqueName('reg'));
  const grad = tf.tensor1d([g]);
  for (let s = 0; s < steps; s++) opt.applyGradients({ [x.name]: grad });
  const value = x.dataSync()[0];
  grad.dispose();
  x.dispose();
  opt.dispose();
  return value;
}

// Not re-indented, to keep this diff small: the formatting pass after the merges indents it.
onEachBackend(() => {
  describe('Adadelta uses the updated accumulator (Zeiler 2012, Keras 3)', () => {
    const lr = 1;
    const sgdPath = 1 - 5 * lr * 1; // plain SGD after 5 updates of gradient 1

    test('tfjs 4.22 adadelta moves exactly like SGD with a constant gradient (the defect)', () => {
      const x = constantGradient(tf.train.adadelta(lr, 0.95, 1e-7), 1, 1, 5);
      assert.ok(Math.abs(x - sgdPath) < 1e-5, `tfjs adadelta gave ${x}`);
    });

    test('ours does not: the first steps are ~ lr * sqrt(eps / (1 - rho)), tiny', () => {
      const x = constantGradient(createOptimizer(parseOptimizerSpec({ name: 'adadelta', learningRate: lr })), 1, 1, 5);
      assert.ok(Math.abs(x - sgdPath) > 1, `ours gave ${x}, SGD gives ${sgdPath}`);
      // Hand computation of the first update: d = -sqrt(eps) / sqrt((1 - rho) * g^2 + eps) * g.
      const first = constantGradient(createOptimizer(parseOptimizerSpec({ name: 'adadelta', learningRate: lr })), 1, 1, 1);
      const expected = 1 - Math.sqrt(1e-7) / Math.sqrt(0.05 + 1e-7);
      assert.ok(Math.abs(first - expected) < 1e-6, `first update gave ${first}, expected ${expected}`);
    });
  });

  describe('centered RMSprop keeps epsilon inside the root: sqrt(v - mg^2 + eps)', () => {
    test('tfjs 4.22 centered rmsprop goes NaN with a small constant gradient (the defect)', () => {
      const x = constantGradient(tf.train.rmsprop(0.001, 0.9, 0, 1e-7, true), 1, 1e-3, 2000);
      assert.ok(Number.isNaN(x), `tfjs centered rmsprop gave ${x}`);
    });

    test('ours stays finite over 2000 updates', () => {
      const x = constantGradient(createOptimizer(parseOptimizerSpec({ name: 'rmsprop', centered: true })), 1, 1e-3, 2000);
      assert.ok(Number.isFinite(x), `ours gave ${x}`);
      assert.ok(x < 1, 'and it descends');
    });
  });

  describe('Adamax state can be saved and restored', () => {
    test('tfjs 4.22 adamax getWeights throws (the defect)', async () => {
      const theirs = tf.train.adamax(0.01);
      await assert.rejects(theirs.getWeights());
      theirs.dispose();
    });

    test('ours round-trips through getWeights / setWeights', async () => {
      const x = variableOf(tf.tensor1d([1, -2, 3]), uniqueName('adamax'));
      const grad = tf.tensor1d([0.5, -0.25, 1]);
      const a = createOptimizer(parseOptimizerSpec({ name: 'adamax', learningRate: 0.1 }));
      a.applyGradients({ [x.name]: grad });
      a.applyGradients({ [x.name]: grad });
      const weights = await a.getWeights();
      assert.deepEqual(
        weights.map((w) => w.name),
        ['iter', `${x.name}/momentum`, `${x.name}/norm`],
      );
      const b = createOptimizer(parseOptimizerSpec({ name: 'adamax', learningRate: 0.1 }));
      await b.setWeights(weights);
      assert.equal(b.iterations, 2);
      const restored = await b.getWeights();
      for (let i = 0; i < weights.length; i++) {
        assert.equal(restored[i].name, weights[i].name);
        assert.deepEqual(Array.from(restored[i].tensor.dataSync()), Array.from(weights[i].tensor.dataSync()));
      }
      [weights[0], restored[0]].forEach((w) => w.tensor.dispose());
      [a, b].forEach((o) => o.dispose());
      grad.dispose();
      x.dispose();
    });
  });
});
