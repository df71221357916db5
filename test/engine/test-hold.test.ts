/** The test-only hold (src/engine/test-hold.ts): off without its variable; holds at its step until released or stopped. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { testHoldFromEnv } from '../../src/engine/test-hold.ts';
import { until } from '../helpers/until.ts';

const never = () => false;
const quiet = { stopped: never, onHold: () => {} };

test('without TRAINER_TEST_HOLD_DIR there is no hold at all (a production child)', () => {
  assert.equal(testHoldFromEnv({}), undefined);
  assert.equal(testHoldFromEnv({ TRAINER_TEST_HOLD_AT_STEP: '3' }), undefined);
  assert.throws(() => testHoldFromEnv({ TRAINER_TEST_HOLD_DIR: '/tmp', TRAINER_TEST_HOLD_AT_STEP: '0' }), /positive integer/);
});

test('a job is held from its step on, says so, goes on when released, and is never held again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hold-test-'));
  const hold = testHoldFromEnv({ TRAINER_TEST_HOLD_DIR: dir, TRAINER_TEST_HOLD_AT_STEP: '3' })!;
  await hold.wait('a', undefined, quiet); // before its first step
  await hold.wait('a', 2, quiet);
  assert.equal(existsSync(join(dir, 'a.held')), false);
  let flushed = 0;
  let released = false;
  const waiting = hold.wait('a', 3, { stopped: never, onHold: () => flushed++ }).then(() => (released = true));
  await until(() => existsSync(join(dir, 'a.held')));
  assert.equal(readFileSync(join(dir, 'a.held'), 'utf8'), '3');
  assert.equal(flushed, 1, 'the steps so far are sent before the hold is announced');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(released, false, 'still held');
  writeFileSync(join(dir, 'a.release'), '');
  await waiting;
  await hold.wait('a', 9, quiet); // released for good
});

test('a release naming a step holds the job again there; a stop ends a hold', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hold-test-'));
  const hold = testHoldFromEnv({ TRAINER_TEST_HOLD_DIR: dir, TRAINER_TEST_HOLD_AT_STEP: '1' })!;
  writeFileSync(join(dir, 'b.release'), '5');
  await hold.wait('b', 1, quiet); // released until step 5; the release is consumed
  assert.equal(existsSync(join(dir, 'b.release')), false);
  await hold.wait('b', 4, quiet);
  let stop = false;
  const waiting = hold.wait('b', 5, { stopped: () => stop, onHold: () => {} });
  await until(() => existsSync(join(dir, 'b.held')));
  stop = true;
  await waiting;
});
