/**
 * parseOptimizerSpec: Keras 3 defaults, and a 400 naming the exact option for every kind of
 * invalid input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import { OPTIMIZER_NAMES, parseOptimizerSpec } from '../../src/domain/optimizer.ts';

/** Asserts that parsing `input` throws a 400 whose field is `field` and whose message matches. */
function rejects(input: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => parseOptimizerSpec(input),
    (e: unknown) => {
      assert.ok(e instanceof InvalidInputError, `not an InvalidInputError: ${String(e)}`);
      assert.equal(e.name, 'InvalidInputError', 'a 400: the input is invalid, not missing or in conflict');
      assert.equal(e.field, field);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('defaults are Keras 3 defaults (keras/src/optimizers/*.py)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['sgd', { learningRate: 0.01, momentum: 0, nesterov: false }],
    ['momentum', { learningRate: 0.01, momentum: 0.9, nesterov: false }],
    ['nesterov', { learningRate: 0.01, momentum: 0.9 }],
    ['adagrad', { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 }],
    ['adadelta', { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 }],
    ['rmsprop', { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false }],
    ['adam', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false }],
    ['adamw', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0.004 }],
    ['adamax', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ['nadam', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ['lion', { learningRate: 0.001, beta1: 0.9, beta2: 0.99 }],
  ];
  for (const [name, expected] of cases) {
    test(name, () => assert.deepEqual(parseOptimizerSpec({ name }), { name, ...expected }));
  }
  test('every name is covered', () => assert.deepEqual([...OPTIMIZER_NAMES].sort(), cases.map(([n]) => n).sort()));
  test('given options are kept, the rest defaulted', () => {
    assert.deepEqual(parseOptimizerSpec({ name: 'adam', beta1: 0.5, clipNorm: 2, weightDecay: 0.1 }), {
      name: 'adam',
      learningRate: 0.001,
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
      clipNorm: 2,
      weightDecay: 0.1,
    });
  });
  test('a schedule gets its Keras defaults', () => {
    const spec = parseOptimizerSpec({ name: 'sgd', learningRate: { type: 'polynomial', initialLearningRate: 0.1, decaySteps: 10 } });
    assert.deepEqual(spec.learningRate, {
      type: 'polynomial',
      initialLearningRate: 0.1,
      decaySteps: 10,
      endLearningRate: 0.0001,
      power: 1,
      cycle: false,
      warmupSteps: 0,
    });
  });
});

describe('invalid specs are rejected with a 400 naming the option', () => {
  test('not an object', () => rejects('adam', 'optimizer'));
  test('unknown optimizer name lists the valid ones', () =>
    rejects({ name: 'adamz' }, 'optimizer.name', /must be one of sgd, momentum, nesterov, .*lion/));
  test('missing name', () => rejects({}, 'optimizer.name'));
  test('unknown option lists the allowed ones', () => {
    rejects({ name: 'sgd', beta1: 0.9 }, 'optimizer.beta1', /: unknown option of optimizer "sgd"; allowed: .*momentum, nesterov$/);
    rejects({ name: 'adam', centered: true }, 'optimizer.centered', /allowed: .*amsgrad/);
    rejects({ name: 'nesterov', nesterov: false }, 'optimizer.nesterov');
    rejects({ name: 'lion', epsilon: 1e-7 }, 'optimizer.epsilon');
  });
  test('learning rate: non-number, non-finite, negative', () => {
    rejects({ name: 'adam', learningRate: '0.1' }, 'optimizer.learningRate', /number or a schedule/);
    rejects({ name: 'adam', learningRate: Number.NaN }, 'optimizer.learningRate', /finite/);
    rejects({ name: 'adam', learningRate: Infinity }, 'optimizer.learningRate', /finite/);
    rejects({ name: 'adam', learningRate: -0.1 }, 'optimizer.learningRate', /must be at least 0, got -0.1/);
    rejects({ name: 'adam', learningRate: null }, 'optimizer.learningRate');
  });
  test('betas and rho outside [0, 1)', () => {
    rejects({ name: 'adam', beta1: 1.2 }, 'optimizer.beta1', /must be in \[0, 1\), got 1.2/);
    rejects({ name: 'adam', beta2: 1 }, 'optimizer.beta2', /\[0, 1\)/);
    rejects({ name: 'nadam', beta1: -0.1 }, 'optimizer.beta1');
    rejects({ name: 'rmsprop', rho: 1 }, 'optimizer.rho');
    rejects({ name: 'adadelta', rho: 2 }, 'optimizer.rho');
    rejects({ name: 'lion', beta1: 0 }, 'optimizer.beta1', /\(0, 1\)/);
  });
  test('momentum outside [0, 1]', () => {
    rejects({ name: 'momentum', momentum: 1.5 }, 'optimizer.momentum', /\[0, 1\]/);
    rejects({ name: 'rmsprop', momentum: -0.5 }, 'optimizer.momentum');
  });
  test('epsilon <= 0', () => {
    rejects({ name: 'adam', epsilon: 0 }, 'optimizer.epsilon', /must be greater than 0, got 0/);
    rejects({ name: 'adagrad', epsilon: -1e-7 }, 'optimizer.epsilon');
  });
  test('negative weightDecay or initialAccumulatorValue', () => {
    rejects({ name: 'adamw', weightDecay: -0.01 }, 'optimizer.weightDecay', /must be at least 0, got -0.01/);
    rejects({ name: 'adagrad', initialAccumulatorValue: -1 }, 'optimizer.initialAccumulatorValue');
  });
  test('booleans must be booleans', () => {
    rejects({ name: 'adam', amsgrad: 'yes' }, 'optimizer.amsgrad', /true or false/);
    rejects({ name: 'rmsprop', centered: 1 }, 'optimizer.centered');
    rejects({ name: 'sgd', nesterov: null }, 'optimizer.nesterov');
  });
  test('clipping values must be > 0', () => {
    rejects({ name: 'sgd', clipNorm: 0 }, 'optimizer.clipNorm', /must be greater than 0, got 0/);
    rejects({ name: 'sgd', clipValue: -1 }, 'optimizer.clipValue');
    rejects({ name: 'sgd', globalClipNorm: 'big' }, 'optimizer.globalClipNorm');
  });
  test('more than one clipping option: one 400 naming all that were given', () => {
    rejects({ name: 'adam', clipNorm: 1, clipValue: 1 }, 'optimizer', /only one of .* got clipNorm and clipValue/);
    rejects({ name: 'adam', clipNorm: 1, globalClipNorm: 2, clipValue: 1 }, 'optimizer', /got clipNorm and globalClipNorm and clipValue/);
  });
  test('a custom path prefixes every field', () => {
    assert.throws(
      () => parseOptimizerSpec({ name: 'adam', beta1: 2 }, 'job.optimizer'),
      (e: unknown) => e instanceof InvalidInputError && e.field === 'job.optimizer.beta1',
    );
  });
});

describe('invalid schedules are rejected with a 400 naming the schedule option', () => {
  const lr = (schedule: unknown) => ({ name: 'sgd', learningRate: schedule });
  test('unknown type lists the valid ones', () =>
    rejects(
      lr({ type: 'linear' }),
      'optimizer.learningRate.type',
      /exponential, inverseTime, piecewiseConstant, polynomial, cosine, cosineRestarts/,
    ));
  test('missing required parameter', () =>
    rejects(lr({ type: 'exponential', initialLearningRate: 0.1, decayRate: 0.9 }), 'optimizer.learningRate.decaySteps', /required/));
  test('unknown parameter', () =>
    rejects(
      lr({ type: 'cosine', initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
      'optimizer.learningRate.decayRate',
      /allowed: .*alpha/,
    ));
  test('decaySteps <= 0', () =>
    rejects(
      lr({ type: 'inverseTime', initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }),
      'optimizer.learningRate.decaySteps',
      /must be greater than 0, got 0/,
    ));
  test('negative initialLearningRate', () =>
    rejects(lr({ type: 'cosine', initialLearningRate: -1, decaySteps: 10 }), 'optimizer.learningRate.initialLearningRate'));
  test('alpha outside [0, 1]', () =>
    rejects(lr({ type: 'cosine', initialLearningRate: 0.1, decaySteps: 10, alpha: 2 }), 'optimizer.learningRate.alpha'));
  test('tMul < 1', () =>
    rejects(lr({ type: 'cosineRestarts', initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 0.5 }), 'optimizer.learningRate.tMul'));
  test('warmupSteps not a non-negative integer', () => {
    rejects(
      lr({ type: 'exponential', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, warmupSteps: 2.5 }),
      'optimizer.learningRate.warmupSteps',
      /integer/,
    );
    rejects(
      lr({ type: 'exponential', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, warmupSteps: -1 }),
      'optimizer.learningRate.warmupSteps',
    );
  });
  test('piecewiseConstant: boundaries not increasing, wrong number of values, bad value', () => {
    rejects(lr({ type: 'piecewiseConstant', boundaries: [5, 5], values: [1, 2, 3] }), 'optimizer.learningRate.boundaries[1]', /greater/);
    rejects(lr({ type: 'piecewiseConstant', boundaries: [5, 10], values: [1, 2] }), 'optimizer.learningRate.values', /one more element/);
    rejects(lr({ type: 'piecewiseConstant', boundaries: [5], values: [1, -2] }), 'optimizer.learningRate.values[1]');
    rejects(lr({ type: 'piecewiseConstant', boundaries: [], values: [1] }), 'optimizer.learningRate.boundaries');
  });
  test('staircase and cycle must be booleans', () => {
    rejects(lr({ type: 'polynomial', initialLearningRate: 0.1, decaySteps: 3, cycle: 'yes' }), 'optimizer.learningRate.cycle');
  });
});
