/** Shared test fixtures: deterministic parameters and gradients, running ours vs. the reference. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createOptimizer, parseOptimizerSpec, type TrainerOptimizer } from '../../../src/engine/optimizers/index.ts';
import { RefOptimizer, type RefOptions, type Vec } from './reference.ts';

export const SHAPES: number[][] = [[3], [2, 2]];

let counter = 0;
/** A variable name no other test uses (tf.Variable names are global). */
export function uniqueName(prefix = 'w'): string {
  counter += 1;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Initial values, not all of one sign or size. */
export function initialValues(): Vec[] {
  return [
    [0.5, -1.2, 2.0],
    [1.0, -0.3, 0.8, -2.5],
  ];
}

/**
 * Gradients for `step` (0-based): vary in sign and magnitude from step to step and between
 * elements, none near zero (Lion's sign and the adaptive denominators stay well conditioned).
 */
export function gradientsAt(step: number, scale = 1): Vec[] {
  const g = (i: number) => scale * (0.3 + 0.6 * Math.abs(Math.sin(1.7 * i + 0.9 * step))) * ((i + step) % 3 === 0 ? -1 : 1);
  return [
    [g(0), g(1), g(2)],
    [g(3) * 2, g(4) * 0.5, g(5), g(6) * 1.5],
  ];
}

/**
 * A trainable variable holding `initial`, which is then disposed: tf.variable keeps its own
 * reference to the data, and the initial tensor would otherwise count as a leak.
 */
export function variableOf(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, name);
  initial.dispose();
  return v;
}

export function makeVariables(values: Vec[]): tf.Variable[] {
  return values.map((v, i) => variableOf(tf.tensor(v, SHAPES[i]), uniqueName()));
}

export function step(opt: TrainerOptimizer, vars: tf.Variable[], grads: Vec[]): void {
  const named = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], SHAPES[i]) }));
  opt.applyGradients(named);
  named.forEach((n) => n.tensor.dispose());
}

/** Runs our optimizer for `steps` updates and returns the final parameters (float32 read back). */
export function runOurs(spec: unknown, steps: number, gradScale = 1): Vec[] {
  const opt = createOptimizer(parseOptimizerSpec(spec));
  const vars = makeVariables(initialValues());
  for (let s = 0; s < steps; s++) step(opt, vars, gradientsAt(s, gradScale));
  const out = vars.map((v) => Array.from(v.dataSync()));
  vars.forEach((v) => v.dispose());
  opt.dispose();
  return out;
}

export function runReference(options: RefOptions, steps: number, gradScale = 1): Vec[] {
  const ref = new RefOptimizer(options);
  const params = initialValues();
  for (let s = 0; s < steps; s++) ref.step(params, gradientsAt(s, gradScale));
  return params;
}

/** |a - b| <= atol + rtol * |b| for every element (float32 against float64). */
export function assertClose(actual: Vec[], expected: Vec[], rtol = 1e-5, atol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.equal(a.length, expected[i].length);
    a.forEach((x, k) => {
      const e = expected[i][k];
      assert.ok(Number.isFinite(x), `element [${i}][${k}] is ${x}`);
      assert.ok(Math.abs(x - e) <= atol + rtol * Math.abs(e), `element [${i}][${k}]: got ${x}, expected ${e}`);
    });
  });
}

/** Our parameters must also have moved from the start (a no-op optimizer must not pass). */
export function assertMoved(actual: Vec[]): void {
  const start = initialValues();
  const moved = actual.some((a, i) => a.some((x, k) => Math.abs(x - start[i][k]) > 1e-4));
  assert.ok(moved, 'parameters did not move');
}
