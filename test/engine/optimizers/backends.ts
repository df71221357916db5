/**
 * Every optimizer test runs on every backend this machine has (test/helpers/backends.ts): cpu
 * (plain JavaScript), wasm, the one this service's users get on a machine without native
 * TensorFlow, and tensorflow (tfjs-node) where it is built; a suite on an absent backend shows as
 * skipped with the reason. `initBackend` here takes the same path as production, kernels
 * registered as there, and each suite sets its own backend before it runs: tfjs-node makes
 * `tensorflow` current when it loads. Each test must leave tf.memory().numTensors where it found
 * it, as tfjs-core's own optimizer tests check: an optimizer that leaks a tensor per step grows a
 * long job's memory without bound.
 */
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend.ts';
import { backendsHere, type TestBackend } from '../../helpers/backends.ts';

export type { TestBackend };
export const BACKENDS = await backendsHere(['cpu', 'wasm', 'tensorflow'] as const);

/** Declares `body`'s tests once per backend, with a tensor-leak check around each test. */
export function onEachBackend(body: (backend: TestBackend) => void): void {
  for (const { backend, skip } of BACKENDS) {
    describe(`on the ${backend} backend`, { skip }, () => {
      before(async () => {
        await initBackend(backend);
      });
      let tensors = 0;
      beforeEach(() => {
        tensors = tf.memory().numTensors;
      });
      afterEach(() => {
        assert.equal(tf.memory().numTensors, tensors, `tensors left behind by this test on ${backend}`);
      });
      body(backend);
    });
  }
}
