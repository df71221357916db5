/**
 * The messages of the validation kit every request parser uses: one form for each situation,
 * each naming the field's full path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import { numberIn, readChoice, rejectUnknown, requireObject, show, type Bounds } from '../../src/domain/fields.ts';

/** The error message `check` throws (field and reason). */
function message(check: () => unknown): string {
  try {
    check();
  } catch (err) {
    assert.ok(err instanceof InvalidInputError, String(err));
    return err.message;
  }
  assert.fail('no error thrown');
}

describe('numberIn: words for one limit, an interval for two', () => {
  const cases: Array<[Bounds, unknown, string]> = [
    [{ min: 0 }, -1, 'x: must be at least 0, got -1'],
    [{ min: 0, exclusiveMin: true }, 0, 'x: must be greater than 0, got 0'],
    [{ max: 1 }, 2, 'x: must be at most 1, got 2'],
    [{ max: 1, exclusiveMax: true }, 1, 'x: must be less than 1, got 1'],
    [{ min: 0, max: 1 }, 1.5, 'x: must be in [0, 1], got 1.5'],
    [{ min: 0, max: 1, exclusiveMax: true }, 1, 'x: must be in [0, 1), got 1'],
    [{ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }, 0, 'x: must be in (0, 1), got 0'],
    [{ min: 1, max: 10, integer: true }, 2.5, 'x: must be an integer, got 2.5'],
    [{}, Number.NaN, 'x: must be a finite number, got NaN'],
    [{}, '1', 'x: must be a number, got "1"'],
  ];
  for (const [bounds, value, expected] of cases) {
    test(expected, () =>
      assert.equal(
        message(() => numberIn(value, 'x', bounds)),
        expected,
      ),
    );
  }
  test('the limits themselves pass unless exclusive', () => {
    assert.equal(numberIn(0, 'x', { min: 0, max: 1 }), 0);
    assert.equal(numberIn(1, 'x', { min: 0, max: 1 }), 1);
  });
});

describe('show: the JSON of the value received, cut short', () => {
  test('strings quoted, numbers as numbers, arrays and objects as JSON', () => {
    assert.deepEqual(
      [show('adam'), show(Infinity), show(null), show(undefined), show([1, 2]), show({ a: 1 })],
      ['"adam"', 'Infinity', 'null', 'undefined', '[1,2]', '{"a":1}'],
    );
  });
  test('at most 60 characters', () => {
    const long = show('x'.repeat(100));
    assert.equal(long.length, 60);
    assert.ok(long.endsWith('…'));
  });
});

describe('objects, choices and unknown keys', () => {
  test('an array is not an object', () =>
    assert.equal(
      message(() => requireObject([1], 'model')),
      'model: must be an object, got [1]',
    ));
  test('a choice lists the choices', () =>
    assert.equal(
      message(() => readChoice({ loss: 'mse' }, 'loss', 'model', ['a', 'b'])),
      'model.loss: must be one of a, b; got "mse"',
    ));
  test('an unknown key names what it is not an option of, and lists the allowed ones', () =>
    assert.equal(
      message(() => rejectUnknown({ name: 'sgd', beta1: 0.9 }, ['name', 'momentum'], 'optimizer', 'option of optimizer "sgd"')),
      'optimizer.beta1: unknown option of optimizer "sgd"; allowed: name, momentum',
    ));
});
