/**
 * computeTrajectory without HTTP: the shape of the answer, closed forms for SGD, known
 * behaviour of Adam and of the saddle, divergence, and that the optimizer's own options
 * (here clipping) apply.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FUNCTIONS, QUADRATIC } from '../../src/playground/functions.ts';
import { parseTrajectoryRequest, type TrajectoryResult } from '../../src/playground/request.ts';
import { computeTrajectory } from '../../src/engine/trajectory.ts';

before(async () => {
  await tf.setBackend('cpu'); // the playground child's backend
});

function run(fn: string, start: [number, number], steps: number, optimizer: object): TrajectoryResult {
  return computeTrajectory(parseTrajectoryRequest({ function: fn, start, steps, optimizer }));
}

const distance = ([x, y]: number[], [a, b]: number[]) => Math.hypot(x - a, y - b);

describe('computeTrajectory', () => {
  test('answers steps + 1 points, the float32-rounded start first, f at each, and the minima', () => {
    const result = run('himmelblau', [0.1, -0.3], 25, { name: 'adam', learningRate: 0.05 });
    assert.equal(result.points.length, 26);
    const [x0, y0] = [Math.fround(0.1), Math.fround(-0.3)];
    assert.deepEqual(result.points[0], [x0, y0, FUNCTIONS.himmelblau.value(x0, y0)]);
    for (const [x, y, f] of result.points) {
      assert.equal(Math.fround(x), x);
      assert.equal(Math.fround(y), y);
      assert.equal(f, FUNCTIONS.himmelblau.value(x, y));
    }
    assert.deepEqual(result.minima, FUNCTIONS.himmelblau.minima);
    assert.equal(result.diverged, undefined);
  });

  test('leaves no tensor or variable behind', () => {
    run('rosenbrock', [0, 0], 5, { name: 'sgd' });
    const before = tf.memory().numTensors;
    const variables = Object.keys(tf.engine().registeredVariables).length;
    run('rosenbrock', [-1, 1], 50, { name: 'nadam', clipNorm: 1 });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(Object.keys(tf.engine().registeredVariables).length, variables);
  });

  test('SGD on the quadratic 0.5 (a x^2 + b y^2) follows x_k = x0 (1 - lr a)^k, y_k = y0 (1 - lr b)^k', () => {
    // Gradient (a x, b y), so each step multiplies x by (1 - lr a) and y by (1 - lr b).
    const lr = 0.05;
    const [x0, y0] = [2, -1.5];
    const result = run('quadratic', [x0, y0], 100, { name: 'sgd', learningRate: lr });
    result.points.forEach(([x, y], k) => {
      const ex = x0 * (1 - lr * QUADRATIC.a) ** k;
      const ey = y0 * (1 - lr * QUADRATIC.b) ** k;
      // Float32 rounding (relative 6e-8) compounds over k steps: allow 4e-7 per step.
      const tolerance = 1e-7 + 4e-7 * k;
      assert.ok(Math.abs(x - ex) <= tolerance * Math.abs(ex), `x_${k} = ${x}, expected ${ex}`);
      assert.ok(Math.abs(y - ey) <= tolerance * Math.abs(ey), `y_${k} = ${y}, expected ${ey}`);
    });
  });

  test('Adam on rosenbrock from (-1.5, 2) gets much closer to the minimum (1, 1) in 2000 steps', () => {
    const result = run('rosenbrock', [-1.5, 2], 2000, { name: 'adam', learningRate: 0.02 });
    const first = result.points[0];
    const last = result.points.at(-1)!;
    assert.equal(result.points.length, 2001);
    assert.ok(distance(last, [1, 1]) < 0.1 * distance(first, [1, 1]), `ended at (${last[0]}, ${last[1]})`);
    assert.ok(last[2] < 1e-3 * first[2], `f went from ${first[2]} to ${last[2]}`);
  });

  test('saddle x^2 - y^2: SGD started on the x-axis stays on it and reaches the saddle point', () => {
    const result = run('saddle', [1, 0], 200, { name: 'sgd', learningRate: 0.1 });
    assert.ok(result.points.every(([, y]) => y === 0));
    assert.ok(Math.abs(result.points.at(-1)![0]) < 1e-15); // x_k = 0.8^k
  });

  test('saddle x^2 - y^2: SGD started just off the x-axis escapes along y', () => {
    const result = run('saddle', [1, 1e-3], 200, { name: 'sgd', learningRate: 0.1 });
    const [, y, f] = result.points.at(-1)!;
    assert.ok(Math.abs(y) > 1e9, `y = ${y}`); // y_k = 1e-3 * 1.2^k, 1.2^200 ~ 7e15
    assert.ok(f < -1e18);
  });

  test('a diverging run stops before the first non-finite point and says at which step', () => {
    // lr 0.3 on the quadratic's y (b = 10): y_k = y0 (1 - 3)^k = (-2)^k, exact in float32
    // (float32(0.3) * 10 rounds, tie to even, to 3). The gradient 10 y overflows float32 first:
    // 10 * 2^125 > 3.4e38, so step 126 gets an infinite gradient and an infinite y.
    const result = run('quadratic', [1, 1], 1000, { name: 'sgd', learningRate: 0.3 });
    assert.equal(result.diverged?.step, 126);
    assert.match(result.diverged.reason, /Infinity/);
    assert.equal(result.points.length, 126);
    assert.equal(result.points[125][1], -(2 ** 125));
    assert.ok(result.points.flat().every(Number.isFinite));
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(result)));
  });

  test('the optimizer spec applies in full: clipValue bounds the first step', () => {
    // At (-1.5, 2): y - x^2 = -0.25, so the gradient is (-2 * 2.5 - 400 * -1.5 * -0.25, 200 * -0.25)
    // = (-155, -50). SGD steps w - lr * g, in float32: unclipped g, or g clamped to [-0.5, 0.5].
    assert.deepEqual(FUNCTIONS.rosenbrock.gradient(-1.5, 2), [-155, -50]);
    const f32 = Math.fround;
    const sgdStep = (w: number, g: number) => f32(w - f32(f32(0.001) * g));
    const plain = run('rosenbrock', [-1.5, 2], 1, { name: 'sgd', learningRate: 0.001 }).points[1];
    const clipped = run('rosenbrock', [-1.5, 2], 1, { name: 'sgd', learningRate: 0.001, clipValue: 0.5 }).points[1];
    assert.deepEqual(plain.slice(0, 2), [sgdStep(-1.5, -155), sgdStep(2, -50)]);
    assert.deepEqual(clipped.slice(0, 2), [sgdStep(-1.5, -0.5), sgdStep(2, -0.5)]);
  });
});
