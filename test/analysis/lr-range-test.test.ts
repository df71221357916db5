/**
 * The learning-rate range test's schedule, stop rule and suggestion, on curves whose answer is
 * known in closed form. (test/api/lr-finder.test.ts runs it for real.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyseRangeTest, rangeTestSchedule, type RangePoint, type RangeTestOptions } from '../../src/analysis/lr-range-test.ts';
import { learningRateAt, parseLearningRate } from '../../src/domain/schedules.ts';

const options: RangeTestOptions = { minLearningRate: 1e-7, maxLearningRate: 10, steps: 100, stopFactor: 4 };

/** Step s (1-based, as recorded) runs at 1e-7 · 10^(8 (s − 1) / 99): eight decades over 100 steps. */
const rateOf = (step: number) => 1e-7 * 10 ** ((8 * (step - 1)) / 99);
const curve = (loss: (log10lr: number, step: number) => number, steps = 100): RangePoint[] =>
  Array.from({ length: steps }, (_, i) => ({ step: i + 1, learningRate: rateOf(i + 1), loss: loss(Math.log10(rateOf(i + 1)), i + 1) }));

describe('learning-rate range test', () => {
  test('the schedule starts at min, ends at max after `steps` steps, and is a valid exponential schedule', () => {
    const schedule = parseLearningRate(rangeTestSchedule(options), 'lr');
    for (const step of [1, 2, 50, 100]) {
      const lr = learningRateAt(schedule, step - 1); // the optimizer's iterations before the update
      assert.ok(Math.abs(lr / rateOf(step) - 1) < 1e-9, `step ${step}: ${lr} vs ${rateOf(step)}`);
    }
  });

  test('the suggestion is the steepest descent of a tanh-shaped curve: its inflection at 1e-3', () => {
    // loss = 2 − tanh(log10 lr + 3): steepest (slope −1 per decade) at log10 lr = −3.
    const result = analyseRangeTest(
      curve((l) => 2 - Math.tanh(l + 3)),
      options,
      null,
      true,
    );
    assert.equal(result.stop?.reason, 'maxLearningRate');
    assert.equal(result.points.length, 100);
    const found = Math.log10(result.suggestion!.learningRate);
    // One step is 8/99 ≈ 0.08 decades.
    assert.ok(Math.abs(found + 3) <= 0.17, `suggested 10^${found}`);
  });

  test('a blow-up to more than 4 × the best loss ends the test there; the suggestion comes from before it', () => {
    const result = analyseRangeTest(
      curve((l, s) => (s >= 70 ? 1e6 : 2 - Math.tanh(l + 3))),
      options,
      null,
      true,
    );
    assert.deepEqual(result.stop, { step: 70, reason: 'stopFactor' });
    assert.equal(result.points.at(-1)!.step, 69); // the blown-up point is not drawn
    assert.ok(result.suggestion!.step < 70);
    assert.ok(Math.abs(Math.log10(result.suggestion!.learningRate) + 3) <= 0.17);
  });

  test('a run that diverged ends the test at the diverging step, not as a failure', () => {
    const points = curve((l) => 2 - Math.tanh(l + 3), 80);
    const result = analyseRangeTest(points, options, 81, true);
    assert.deepEqual(result.stop, { step: 81, reason: 'diverged' });
    assert.equal(result.points.length, 80);
    assert.ok(result.suggestion);
  });

  test('a loss that never falls gives no suggestion; a run still going gives none yet', () => {
    assert.equal(
      analyseRangeTest(
        curve((l) => 1 + 0.01 * (l + 7)),
        options,
        null,
        true,
      ).suggestion,
      null,
    );
    const going = analyseRangeTest(
      curve((l) => 2 - Math.tanh(l + 3), 30),
      options,
      null,
      false,
    );
    assert.equal(going.stop, null);
    assert.equal(going.suggestion, null);
    assert.equal(going.points.length, 30);
  });

  test('steps past `steps` (the rest of the last epoch) are not part of the test', () => {
    const result = analyseRangeTest(
      curve((l) => 2 - Math.tanh(l + 3), 120),
      options,
      null,
      true,
    );
    assert.equal(result.points.length, 100);
    assert.deepEqual(result.stop, { step: 100, reason: 'maxLearningRate' });
  });
});
