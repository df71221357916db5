/**
 * The shared machinery: iteration counter and learning rate, registry, config, purity of the
 * modules the HTTP API imports.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  AdamW,
  Lion,
  OPTIMIZER_NAMES,
  SGD,
  TrainerOptimizer,
  createOptimizer,
  parseOptimizerSpec,
} from '../../../src/engine/optimizers/index.ts';
import { uniqueName, variableOf } from './helpers.ts';
import { onEachBackend } from './backends.ts';

// Not re-indented, to keep this diff small: the formatting pass after the merges indents it.
onEachBackend(() => {
  describe('iterations and learning rate', () => {
    test('iterations start at 0, count updates, and drive the schedule (lr of the next update)', () => {
      const opt = createOptimizer(
        parseOptimizerSpec({ name: 'sgd', learningRate: { type: 'piecewiseConstant', boundaries: [0, 1], values: [0.5, 0.25, 0.125] } }),
      );
      const x = variableOf(tf.tensor1d([0]), uniqueName('it'));
      const g = tf.tensor1d([1]);
      const seen: number[] = [];
      for (let s = 0; s < 3; s++) {
        assert.equal(opt.iterations, s);
        seen.push(opt.currentLearningRate());
        opt.applyGradients({ [x.name]: g });
      }
      assert.deepEqual(seen, [0.5, 0.25, 0.125]);
      // x moved by -(0.5 + 0.25 + 0.125): the rate at iterations 0, 1, 2 was used, in order.
      assert.ok(Math.abs(x.dataSync()[0] + 0.875) < 1e-7);
      assert.equal(opt.learningRateAt(0), 0.5);
      opt.iterations = 0;
      assert.equal(opt.currentLearningRate(), 0.5);
      assert.throws(() => (opt.iterations = -1), /iterations/);
      assert.throws(() => (opt.iterations = 1.5), /iterations/);
      [x, g].forEach((t) => t.dispose());
      opt.dispose();
    });

    test('bias correction uses t = iterations + 1: Adam with iterations set to 1000 takes a different step', () => {
      const run = (iterations: number) => {
        const opt = createOptimizer(parseOptimizerSpec({ name: 'adam', learningRate: 0.1 }));
        opt.iterations = iterations;
        const x = variableOf(tf.tensor1d([0]), uniqueName('bc'));
        const g = tf.tensor1d([1]);
        opt.applyGradients({ [x.name]: g });
        const value = x.dataSync()[0];
        [x, g].forEach((t) => t.dispose());
        opt.dispose();
        return value;
      };
      // t = 1: lr * sqrt(1 - b2) / (1 - b1) * m / (sqrt(v) + eps), m = 0.1, v = 0.001
      const t1 = ((0.1 * Math.sqrt(0.001)) / 0.1) * (0.1 / (Math.sqrt(0.001) + 1e-7));
      assert.ok(Math.abs(run(0) + t1) < 1e-6);
      // t = 1001
      const lrT = (0.1 * Math.sqrt(1 - 0.999 ** 1001)) / (1 - 0.9 ** 1001);
      assert.ok(Math.abs(run(1000) + lrT * (0.1 / (Math.sqrt(0.001) + 1e-7))) < 1e-6);
    });

    test('gradients given as null are skipped, the others applied', () => {
      const opt = createOptimizer(parseOptimizerSpec({ name: 'sgd', learningRate: 1 }));
      const x = variableOf(tf.tensor1d([0]), uniqueName('n'));
      const y = variableOf(tf.tensor1d([0]), uniqueName('n'));
      const g = tf.tensor1d([2]);
      opt.applyGradients({ [x.name]: g, [y.name]: null as unknown as tf.Tensor });
      assert.deepEqual([x.dataSync()[0], y.dataSync()[0]], [-2, 0]);
      [x, y, g].forEach((t) => t.dispose());
      opt.dispose();
    });
  });

  describe('registry and config', () => {
    test('createOptimizer builds the class each name maps to', () => {
      const classOf = (name: string) => createOptimizer(parseOptimizerSpec({ name })).constructor;
      assert.equal(classOf('sgd'), SGD);
      assert.equal(classOf('nesterov'), SGD);
      assert.equal(classOf('adam'), Adam);
      assert.equal(classOf('adamw'), AdamW);
      assert.equal(classOf('lion'), Lion);
      for (const name of OPTIMIZER_NAMES) assert.ok(createOptimizer(parseOptimizerSpec({ name })) instanceof TrainerOptimizer);
    });

    test('every class has its own className, and getConfig gives back a spec that rebuilds it', () => {
      const names = new Set<string>();
      for (const name of OPTIMIZER_NAMES) {
        const spec = parseOptimizerSpec({ name, clipValue: 3, learningRate: { type: 'cosine', initialLearningRate: 0.1, decaySteps: 9 } });
        const opt = createOptimizer(spec);
        names.add(opt.getClassName());
        assert.deepEqual(opt.getConfig(), spec);
        assert.deepEqual(parseOptimizerSpec(opt.getConfig()), spec);
      }
      // sgd, momentum and nesterov share SGD; the other eight names have a class each.
      assert.equal(names.size, 9);
    });

    test('minimize() from tf.Optimizer works', () => {
      const opt = createOptimizer(parseOptimizerSpec({ name: 'adam', learningRate: 0.1 }));
      const x = variableOf(tf.scalar(3), uniqueName('min'));
      for (let i = 0; i < 200; i++) opt.minimize(() => tf.square(x) as tf.Scalar, false, [x]);
      assert.ok(Math.abs(x.dataSync()[0]) < 0.1);
      x.dispose();
      opt.dispose();
    });
  });

  describe('spec.ts and schedules.ts are pure', () => {
    test('neither imports TensorFlow.js, directly or through their own imports', () => {
      const here = dirname(fileURLToPath(import.meta.url));
      const seen = new Set<string>();
      const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const source = readFileSync(file, 'utf8');
        for (const [, target] of source.matchAll(/from\s+'([^']+)'/g)) {
          assert.ok(!target.startsWith('@tensorflow'), `${file} imports ${target}`);
          if (target.startsWith('.')) visit(resolve(dirname(file), target));
          else assert.fail(`${file} imports the package ${target}`);
        }
      };
      visit(resolve(here, '../../../src/domain/optimizer.ts'));
      assert.ok(seen.size >= 4, 'followed optimizer.ts, schedules.ts, fields.ts, errors.ts');
    });
  });
});
