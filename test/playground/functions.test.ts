/**
 * The test functions against the literature: each value against a formula written out here
 * again, each float32 gradient against central finite differences (float64) of that formula,
 * and each listed minimum a stationary point with f = 0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FUNCTIONS, FUNCTION_NAMES, type FunctionName } from '../../src/playground/functions.ts';

/** Written from Surjanovic & Bingham's Virtual Library of Simulation Experiments (sfu.ca/~ssurjano). */
const REFERENCE: { [N in FunctionName]: (x: number, y: number) => number } = {
  rosenbrock: (x, y) => 100 * Math.pow(y - x * x, 2) + Math.pow(x - 1, 2),
  beale: (x, y) => Math.pow(1.5 - x + x * y, 2) + Math.pow(2.25 - x + x * y ** 2, 2) + Math.pow(2.625 - x + x * y ** 3, 2),
  saddle: (x, y) => x ** 2 - y ** 2,
  quadratic: (x, y) => (x ** 2 + 10 * y ** 2) / 2,
  rastrigin: (x, y) => 20 + (x ** 2 - 10 * Math.cos(2 * Math.PI * x)) + (y ** 2 - 10 * Math.cos(2 * Math.PI * y)),
  himmelblau: (x, y) => Math.pow(x ** 2 + y - 11, 2) + Math.pow(x + y ** 2 - 7, 2),
};

/** Points exactly representable in float32 (the gradient's inputs always are), away from minima. */
const POINTS: Array<[number, number]> = [
  [-1.5, 2],
  [0.25, -0.75],
  [2.5, 1.125],
  [-3.25, -0.5],
  [0.1015625, 0.4375],
];

function centralDifference(f: (x: number, y: number) => number, x: number, y: number): [number, number] {
  const h = 1e-6;
  return [(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)];
}

describe('test functions', () => {
  for (const name of FUNCTION_NAMES) {
    const fn = FUNCTIONS[name];
    const reference = REFERENCE[name];

    test(`${name}: value equals the published formula`, () => {
      for (const [x, y] of POINTS) {
        const expected = reference(x, y);
        assert.ok(Math.abs(fn.value(x, y) - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `f(${x}, ${y})`);
      }
    });

    test(`${name}: float32 gradient matches central finite differences of the formula`, () => {
      for (const [x, y] of POINTS) {
        const [gx, gy] = fn.gradient(x, y);
        const [dx, dy] = centralDifference(reference, x, y);
        // float32 keeps ~7 digits; finite differences with h = 1e-6 ~8 here.
        for (const [got, want, axis] of [
          [gx, dx, 'x'],
          [gy, dy, 'y'],
        ] as const) {
          assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `d/d${axis} at (${x}, ${y}): ${got} vs ${want}`);
        }
        assert.equal(Math.fround(gx), gx, 'a float32 number');
        assert.equal(Math.fround(gy), gy, 'a float32 number');
      }
    });

    test(`${name}: listed minima are stationary with f = 0`, () => {
      for (const [x, y] of fn.minima) {
        assert.ok(Math.abs(reference(x, y)) < 1e-9, `f(${x}, ${y}) = ${reference(x, y)}`);
        const [dx, dy] = centralDifference(reference, x, y);
        assert.ok(Math.hypot(dx, dy) < 1e-4, `gradient at (${x}, ${y}) is (${dx}, ${dy})`);
      }
    });
  }

  test('saddle lists no minimum (unbounded below); himmelblau lists four', () => {
    assert.deepEqual(FUNCTIONS.saddle.minima, []);
    assert.equal(FUNCTIONS.himmelblau.minima.length, 4);
  });
});
