/**
 * A playground request and its answer: the types, the limits and the parser. PURE (no
 * TensorFlow.js): the HTTP API validates with it, the playground child computes from the result.
 *
 * Input: `{ "function": "rosenbrock", "start": [-1.5, 2], "steps": 500, "optimizer": { "name": "adam" } }`.
 */
import { invalid } from '../errors.ts';
import { parseOptimizerSpec, type OptimizerSpec } from '../domain/optimizer.ts';
import { numberIn, oneOf, requireObject, show } from '../domain/fields.ts';
import { FUNCTION_NAMES, type FunctionName, type Point } from './functions.ts';

/**
 * Most optimizer steps one request may ask for. A step costs some tens of microseconds
 * (a dozen tfjs ops on two numbers), so 10,000 answer in well under a second and the answer
 * (10,001 points) stays a few hundred kB of JSON.
 */
export const MAX_STEPS = 10_000;

/** Largest finite float32: a start beyond it would be ±Infinity once it is a float32 tensor. */
const FLOAT32_MAX = 3.4028234663852886e38;

export const REQUEST_FIELDS = ['function', 'start', 'steps', 'optimizer'] as const;

export interface TrajectoryRequest {
  function: FunctionName;
  /** Where the optimizer starts; rounded to float32 like every later point. */
  start: Point;
  steps: number;
  optimizer: OptimizerSpec;
}

/** [x, y, f(x, y)]: float32 coordinates, f in float64 at those coordinates. */
export type TrajectoryPoint = [number, number, number];

export interface TrajectoryResult {
  function: FunctionName;
  /** The start, then one point per step: steps + 1 points, fewer when the run diverged. */
  points: TrajectoryPoint[];
  /** The function's known minima, for plotting. */
  minima: Point[];
  /** Present when the run stopped early: `step` (1-based) produced a non-finite x, y or f. */
  diverged?: { step: number; reason: string };
}

function parseStart(value: unknown): Point {
  if (!Array.isArray(value) || value.length !== 2) {
    invalid('start', `must be a pair of numbers [x, y], got ${show(value)}`);
  }
  const coordinate = (v: unknown, i: number): number => {
    const field = `start[${i}]`;
    if (typeof v !== 'number') invalid(field, `must be a number, got ${show(v)}`);
    if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) invalid(field, `must be a finite float32 number, got ${v}`);
    return v;
  };
  return [coordinate(value[0], 0), coordinate(value[1], 1)];
}

/** Checks a request body; throws `invalid()` (HTTP 400) naming the first offending field. */
export function parseTrajectoryRequest(body: unknown): TrajectoryRequest {
  const obj = requireObject(body, 'body');
  for (const key of Object.keys(obj)) {
    if (!(REQUEST_FIELDS as readonly string[]).includes(key)) invalid(key, `unknown field; allowed: ${REQUEST_FIELDS.join(', ')}`);
  }
  for (const key of REQUEST_FIELDS) if (obj[key] === undefined) invalid(key, 'is required');
  return {
    function: oneOf(obj.function, 'function', FUNCTION_NAMES),
    start: parseStart(obj.start),
    steps: numberIn(obj.steps, 'steps', { min: 1, max: MAX_STEPS, integer: true }),
    optimizer: parseOptimizerSpec(obj.optimizer, 'optimizer'),
  };
}
