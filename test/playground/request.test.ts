/** parseTrajectoryRequest: defaults filled in, and every bad input a 400 naming its field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import { FUNCTION_NAMES } from '../../src/playground/functions.ts';
import { MAX_STEPS, parseTrajectoryRequest } from '../../src/playground/request.ts';

const valid = { function: 'beale', start: [1, 1], steps: 100, optimizer: { name: 'adam' } };

/** Asserts that `body` is rejected naming `field`, with a message matching `reason`. */
function rejects(body: unknown, field: string, reason: RegExp): void {
  assert.throws(
    () => parseTrajectoryRequest(body),
    (err: unknown) => {
      assert.ok(err instanceof InvalidInputError, String(err));
      assert.equal(err.field, field);
      assert.equal(err.name, 'InvalidInputError', 'a 400: the input is invalid, not missing or in conflict');
      assert.match(err.reason, reason);
      return true;
    },
  );
}

describe('parseTrajectoryRequest', () => {
  test('accepts a request and fills in the optimizer defaults', () => {
    const request = parseTrajectoryRequest(valid);
    assert.deepEqual(request.start, [1, 1]);
    assert.equal(request.steps, 100);
    assert.equal(request.optimizer.name, 'adam');
    assert.equal(request.optimizer.learningRate, 0.001);
  });

  test('an unknown function is rejected listing the valid ones', () => {
    rejects({ ...valid, function: 'ackley' }, 'function', new RegExp(FUNCTION_NAMES.join(', ')));
    rejects({ ...valid, function: 3 }, 'function', /must be one of/);
  });

  test('start must be two finite float32 numbers', () => {
    rejects({ ...valid, start: [1] }, 'start', /pair of numbers/);
    rejects({ ...valid, start: [1, 2, 3] }, 'start', /pair of numbers/);
    rejects({ ...valid, start: { x: 1, y: 2 } }, 'start', /pair of numbers/);
    rejects({ ...valid, start: [1, '2'] }, 'start[1]', /must be a number/);
    rejects({ ...valid, start: [Infinity, 0] }, 'start[0]', /finite/);
    rejects({ ...valid, start: [0, 1e39] }, 'start[1]', /finite float32/);
  });

  test(`steps must be an integer in [1, ${MAX_STEPS}]`, () => {
    rejects({ ...valid, steps: 0 }, 'steps', /\[1, 10000\]/);
    rejects({ ...valid, steps: MAX_STEPS + 1 }, 'steps', /\[1, 10000\]/);
    rejects({ ...valid, steps: 2.5 }, 'steps', /integer/);
    rejects({ ...valid, steps: '10' }, 'steps', /number/);
  });

  test('the optimizer is checked by parseOptimizerSpec, naming the option', () => {
    rejects({ ...valid, optimizer: { name: 'adamm' } }, 'optimizer.name', /must be one of/);
    rejects({ ...valid, optimizer: { name: 'adam', beta1: 1.5 } }, 'optimizer.beta1', /\[0, 1\)/);
    rejects({ ...valid, optimizer: { name: 'sgd', beta1: 0.9 } }, 'optimizer.beta1', /unknown option of optimizer "sgd"/);
  });

  test('unknown and missing fields are rejected by name', () => {
    rejects({ ...valid, seed: 1 }, 'seed', /unknown field/);
    const { steps: _steps, ...noSteps } = valid;
    rejects(noSteps, 'steps', /required/);
    rejects([], 'body', /object/);
  });
});
