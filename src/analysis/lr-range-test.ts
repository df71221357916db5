/**
 * The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks",
 * 2017; fast.ai's `lr_find`): one short run whose rate grows exponentially every step from
 * `min` to `max`, read as loss against rate.
 *
 * PURE (no TensorFlow.js). The run is an ordinary job whose learning rate is an `exponential`
 * schedule with `decaySteps: 1` and a decay rate above 1:
 *
 *     lr(step) = min · r^step,   r = (max / min)^(1 / (steps − 1)),   step = 0 … steps − 1
 *
 * Reading the run:
 * - the test ends at the first step whose smoothed loss exceeds `stopFactor` × the lowest
 *   smoothed loss so far (fast.ai's rule, factor 4), or where the loss stopped being finite, or
 *   after `steps` steps: that is the end of the test, not a failure;
 * - the suggested rate is where the smoothed loss falls fastest against log(rate): the most
 *   negative slope d(loss)/d(log10 lr), by central differences, over the points before the
 *   smoothed loss reaches its lowest (past the bottom the loss is climbing towards divergence,
 *   and its noise, large at large losses, makes steep slopes of no meaning).
 *   The smoothing there is the debiased moving average run forwards and then backwards, so it
 *   does not lag behind the rate (a forward average alone would suggest too high a rate). The
 *   first `SKIP_START` points are left out, as fast.ai does: the loss barely moves there and a
 *   few noisy batches could win. No negative slope → no suggestion.
 */
import { debiasedEma } from './smoothing.ts';
import type { ExponentialSchedule } from '../domain/schedules.ts';

export interface RangeTestOptions {
  minLearningRate: number;
  maxLearningRate: number;
  steps: number;
  stopFactor: number;
}

export const RANGE_TEST_DEFAULTS: RangeTestOptions = { minLearningRate: 1e-7, maxLearningRate: 10, steps: 100, stopFactor: 4 };

/** The schedule that raises the rate from min (first step) to max (step `steps`). */
export function rangeTestSchedule(o: RangeTestOptions): ExponentialSchedule {
  return {
    type: 'exponential',
    initialLearningRate: o.minLearningRate,
    decaySteps: 1,
    decayRate: Math.pow(o.maxLearningRate / o.minLearningRate, 1 / (o.steps - 1)),
    staircase: false,
    warmupSteps: 0,
  };
}

export interface RangePoint {
  step: number;
  learningRate: number;
  loss: number;
}

export interface RangeTestResult {
  /** The points of the test (before its end), each with its smoothed loss. */
  points: Array<RangePoint & { smoothedLoss: number }>;
  /** Why the test ended: the loss blew up (stopFactor), became non-finite (diverged), or the rates ran out. */
  stop: { step: number; reason: 'stopFactor' | 'diverged' | 'maxLearningRate' } | null;
  suggestion: { step: number; learningRate: number } | null;
}

/** fast.ai's smoothing factor for the stop rule. */
const BETA = 0.98;
const SKIP_START = 10;

/**
 * `points` in step order (the steps the job recorded, at most `steps` of them are read);
 * `divergedAtStep` when the run failed on a non-finite loss; `finished` once the run is over.
 */
export function analyseRangeTest(
  points: RangePoint[],
  o: RangeTestOptions,
  divergedAtStep: number | null,
  finished: boolean,
): RangeTestResult {
  const run = points.filter((p) => p.step <= o.steps);
  const causal = debiasedEma(
    run.map((p) => p.loss),
    BETA,
  );
  let end = run.length;
  let stop: RangeTestResult['stop'] = null;
  let best = Infinity;
  for (let i = 0; i < run.length; i++) {
    best = Math.min(best, causal[i]);
    if (i > 0 && causal[i] > o.stopFactor * best) {
      // The blown-up loss itself is left out: it would flatten every other point of a chart.
      end = i;
      stop = { step: run[i].step, reason: 'stopFactor' };
      break;
    }
  }
  if (!stop && divergedAtStep !== null && divergedAtStep <= o.steps) stop = { step: divergedAtStep, reason: 'diverged' };
  if (!stop && (run.length >= o.steps || finished))
    stop = run.length > 0 ? { step: run[run.length - 1].step, reason: 'maxLearningRate' } : null;

  const kept = run.slice(0, end);
  const smoothed = zeroLag(kept.map((p) => p.loss));
  return {
    points: kept.map((p, i) => ({ ...p, smoothedLoss: smoothed[i] })),
    stop,
    // Until the test has ended, the steepest part may still be ahead.
    suggestion: stop ? steepest(kept, smoothed) : null,
  };
}

/** Forwards then backwards: the lag of one pass cancels the other's. Window about 1/20 of the points. */
function zeroLag(values: number[]): number[] {
  const beta = 1 - 1 / Math.max(1, values.length / 20);
  return debiasedEma(debiasedEma(values, beta).reverse(), beta).reverse();
}

/** The point of most negative d(smoothed)/d(log10 lr) before the lowest smoothed loss, the first SKIP_START points left out. */
function steepest(points: RangePoint[], smoothed: number[]): RangeTestResult['suggestion'] {
  const end = smoothed.indexOf(Math.min(...smoothed)) + 1;
  const log = points.map((p) => Math.log10(p.learningRate));
  let found: { i: number; slope: number } | null = null;
  for (let i = Math.max(1, Math.min(SKIP_START, Math.floor(end / 5))); i < end - 1; i++) {
    const slope = (smoothed[i + 1] - smoothed[i - 1]) / (log[i + 1] - log[i - 1]);
    if (slope < 0 && (found === null || slope < found.slope)) found = { i, slope };
  }
  return found && { step: points[found.i].step, learningRate: points[found.i].learningRate };
}
