/**
 * learningRateAt against the expectations of Keras 3's schedule tests
 * (keras/src/optimizers/schedules/learning_rate_schedule_test.py), which compute the expected
 * value from the formula in the test itself; we do the same, plus our warm-up.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learningRateAt, parseLearningRate, type LearningRate } from '../../src/domain/schedules.ts';

const at = (input: Record<string, unknown>, step: number) => learningRateAt(parseLearningRate(input, 'lr'), step);

function close(actual: number, expected: number, rtol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= rtol * Math.abs(expected) + 1e-12, `got ${actual}, expected ${expected}`);
}

describe('exponential (ExponentialDecayTest)', () => {
  test('continuous: 0.05 * 0.96^(5/10) at step 5', () => {
    close(at({ type: 'exponential', initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96 }, 5), 0.05 * 0.96 ** 0.5);
  });
  test('staircase: unchanged at steps 1 and 2, 0.1 * 0.96^(100 // 3) at step 100', () => {
    const s = { type: 'exponential', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.96, staircase: true };
    close(at(s, 1), 0.1);
    close(at(s, 2), 0.1);
    close(at(s, 100), 0.1 * 0.96 ** 33);
  });
});

describe('piecewiseConstant (PiecewiseConstantDecayTest)', () => {
  test('boundaries [100, 110, 120], values [1, 0.1, 0.01, 0.001]', () => {
    const s = { type: 'piecewiseConstant', boundaries: [100, 110, 120], values: [1.0, 0.1, 0.01, 0.001] };
    for (const [step, lr] of [
      [0, 1],
      [100, 1],
      [105, 0.1],
      [110, 0.1],
      [120, 0.01],
      [999, 0.001],
    ])
      close(at(s, step), lr);
  });
  test('boundary values: [1, 2, 3] -> [0.4, 0.5, 0.6, 0.7]', () => {
    const s = { type: 'piecewiseConstant', boundaries: [1, 2, 3], values: [0.4, 0.5, 0.6, 0.7] };
    for (const [step, lr] of [
      [0, 0.4],
      [1, 0.4],
      [2, 0.5],
      [3, 0.6],
      [4, 0.7],
    ])
      close(at(s, step), lr);
  });
});

describe('polynomial (LinearDecayTest, SqrtDecayTest)', () => {
  const lin = (end: number, extra: Record<string, unknown> = {}) => ({
    type: 'polynomial',
    initialLearningRate: 0.05,
    decaySteps: 10,
    endLearningRate: end,
    ...extra,
  });
  test('linear: halfway, end, halfway with end, beyond end, beyond end with cycle', () => {
    close(at(lin(0), 5), 0.05 * 0.5);
    close(at(lin(0.001), 10), 0.001);
    close(at(lin(0.001), 5), (0.05 + 0.001) * 0.5);
    close(at(lin(0.001), 15), 0.001);
    close(at(lin(0.001, { cycle: true }), 15), (0.05 - 0.001) * 0.25 + 0.001);
  });
  test('sqrt (power 0.5): halfway, halfway with end, beyond end with cycle', () => {
    close(at(lin(0, { power: 0.5 }), 5), 0.05 * 0.5 ** 0.5);
    close(at(lin(0.001, { power: 0.5 }), 5), (0.05 - 0.001) * 0.5 ** 0.5 + 0.001);
    close(at(lin(0.001, { power: 0.5, cycle: true }), 15), (0.05 - 0.001) * 0.25 ** 0.5 + 0.001);
  });
  test('cycle at step 0 is the initial rate; endLearningRate defaults to 0.0001', () => {
    close(at({ type: 'polynomial', initialLearningRate: 0.001, decaySteps: 10, cycle: true }, 0), 0.001);
    close(at({ type: 'polynomial', initialLearningRate: 0.05, decaySteps: 10 }, 10), 0.0001);
  });
});

describe('inverseTime (InverseTimeDecayTest)', () => {
  test('0.1 / (1 + i / 10 * 0.96), and floored with staircase, for i = 0..10', () => {
    for (let i = 0; i <= 10; i++) {
      close(at({ type: 'inverseTime', initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96 }, i), 0.1 / (1 + (i / 10) * 0.96));
      close(
        at({ type: 'inverseTime', initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96, staircase: true }, i),
        0.1 / (1 + 0.96 * Math.floor(i / 10)),
      );
    }
  });
});

const cosine = (step: number, decaySteps: number, alpha = 0) =>
  (1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, decaySteps)) / decaySteps)) + alpha;

describe('cosine (CosineDecayTest)', () => {
  test('decay and alpha 0.1 over 1000 steps, steps 0..1250', () => {
    for (let step = 0; step < 1500; step += 250) {
      close(at({ type: 'cosine', initialLearningRate: 1, decaySteps: 1000 }, step), cosine(step, 1000), 1e-6);
      close(at({ type: 'cosine', initialLearningRate: 1, decaySteps: 1000, alpha: 0.1 }, step), cosine(step, 1000, 0.1), 1e-6);
    }
  });
  test('Keras warm-up (warmupTarget 10 over 2000 steps) then decay over 1000', () => {
    const s = { type: 'cosine', initialLearningRate: 0, decaySteps: 1000, warmupTarget: 10, warmupSteps: 2000 };
    for (let step = 0; step < 3000; step += 250) {
      const expected = step < 2001 ? (step / 2000) * 10 : 10 * cosine(step - 2000, 1000);
      close(at(s, step), expected);
    }
  });
});

describe('cosineRestarts (CosineDecayRestartsTest)', () => {
  function restarts(step: number, decaySteps: number, tMul = 2, mMul = 1, alpha = 0): number {
    let fac = 1;
    while (step >= decaySteps) {
      step -= decaySteps;
      decaySteps *= tMul;
      fac *= mMul;
    }
    return (1 - alpha) * fac * 0.5 * (1 + Math.cos((Math.PI * step) / decaySteps)) + alpha;
  }
  const base = { type: 'cosineRestarts', initialLearningRate: 1, firstDecaySteps: 1000 };
  test('default, alpha 0.1, mMul 0.9, tMul 1 at steps 0..1250', () => {
    for (let step = 0; step < 1500; step += 250) {
      close(at(base, step), restarts(step, 1000));
      close(at({ ...base, alpha: 0.1 }, step), restarts(step, 1000, 2, 1, 0.1));
      close(at({ ...base, mMul: 0.9 }, step), restarts(step, 1000, 2, 0.9));
      close(at({ ...base, tMul: 1 }, step), restarts(step, 1000, 1));
    }
  });
  test('several restarts: tMul 1.5, mMul 0.5, alpha 0.2 up to step 10000', () => {
    for (let step = 0; step < 10000; step += 137) {
      close(at({ ...base, tMul: 1.5, mMul: 0.5, alpha: 0.2 }, step), restarts(step, 1000, 1.5, 0.5, 0.2));
    }
  });
});

describe('warmupSteps (ours): lr = schedule(step) * min(1, step / warmupSteps)', () => {
  test('ramps linearly from 0 to the schedule over warmupSteps, then follows it', () => {
    const s = { type: 'exponential', initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, warmupSteps: 4 };
    close(at(s, 0), 0);
    close(at(s, 1), 0.1 * 0.5 ** 0.1 * 0.25);
    close(at(s, 2), 0.1 * 0.5 ** 0.2 * 0.5);
    close(at(s, 4), 0.1 * 0.5 ** 0.4);
    close(at(s, 20), 0.1 * 0.25);
  });
  test('a constant rate is itself', () => {
    const rate: LearningRate = 0.003;
    assert.equal(learningRateAt(rate, 12345), 0.003);
  });
});
