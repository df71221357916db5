/**
 * One optimizer trajectory on a test function, with the very optimizer code training uses:
 * `createOptimizer(spec)` and its `applyGradients`, so schedules, clipping and weight decay
 * all apply exactly as in a job.
 *
 * The point (x, y) is one float32 tf.Variable of shape [2]. Each step feeds the function's
 * exact gradient, computed in float32 arithmetic in JS (functions.ts; two numbers do not
 * repay the per-op cost of a dozen tfjs ops), as a float32 tensor to the optimizer, which
 * updates the variable with tfjs ops. Synchronous; the caller has set a tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';
import { createOptimizer } from './optimizers/registry.ts';
import { FUNCTIONS, type TestFunction } from '../playground/functions.ts';
import type { TrajectoryPoint, TrajectoryRequest, TrajectoryResult } from '../playground/request.ts';

let runs = 0;

/** The point a variable holds, or why it cannot be sent as JSON (a non-finite x, y or f). */
function pointOf(position: tf.Variable, fn: TestFunction): TrajectoryPoint | string {
  const [x, y] = position.dataSync();
  const f = fn.value(x, y);
  if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(f)) return [x, y, f];
  return `the point became (${x}, ${y}) with f = ${f}`;
}

export function computeTrajectory(request: TrajectoryRequest): TrajectoryResult {
  const fn = FUNCTIONS[request.function];
  runs += 1;
  // tf.Variable names are global to the engine: unique per run.
  const name = `playground_${runs}`;
  const position = tf.tidy(() => tf.variable(tf.tensor1d(request.start, 'float32'), true, name));
  const optimizer = createOptimizer(request.optimizer);
  const result: TrajectoryResult = { function: request.function, points: [], minima: fn.minima.map(([x, y]) => [x, y]) };
  try {
    for (let step = 0; step <= request.steps; step++) {
      if (step > 0) {
        const [x, y] = result.points[step - 1];
        const gradient = tf.tensor1d(fn.gradient(x, y), 'float32');
        optimizer.applyGradients({ [name]: gradient });
        gradient.dispose();
      }
      const point = pointOf(position, fn);
      if (typeof point === 'string') {
        result.diverged = { step, reason: `${point} after step ${step}` };
        break;
      }
      result.points.push(point);
    }
  } finally {
    optimizer.dispose();
    position.dispose();
  }
  return result;
}
