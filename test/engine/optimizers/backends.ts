/**
 * Every optimizer test runs on both backends: cpu (plain JavaScript) and wasm, the one this
 * service's users get on a machine without native TensorFlow (src/engine/backend.ts picks it;
 * `initBackend` here takes the same path, kernels registered as in production). Each test must
 * leave tf.memory().numTensors where it found it, as tfjs-core's own optimizer tests check: an
 * optimizer that leaks a tensor per step grows a long job's memory without bound.
 */
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend.ts';

export const BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof BACKENDS)[number];

/** Declares `body`'s tests once per backend, with a tensor-leak check around each test. */
export function onEachBackend(body: (backend: TestBackend) => void): void {
  for (const backend of BACKENDS) {
    describe(`on the ${backend} backend`, () => {
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
