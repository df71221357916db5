/**
 * State: exportState/importState and getWeights/setWeights are lossless (an interrupted run
 * equals an uninterrupted one bit for bit on the cpu backend); no tensor leaks per update;
 * dispose frees every slot; import validates what it is given.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../../src/errors.ts';
import { createOptimizer, parseOptimizerSpec, type TrainerOptimizer } from '../../../src/engine/optimizers/index.ts';
import { gradientsAt, initialValues, makeVariables, step } from './helpers.ts';
import { onEachBackend } from './backends.ts';

/** Every optimizer, and the options that add slots. */
const SPECS: Array<Record<string, unknown>> = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'momentum', learningRate: 0.1 },
  { name: 'nesterov', learningRate: 0.1 },
  { name: 'adagrad', learningRate: 0.1 },
  { name: 'adadelta', learningRate: 1 },
  { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, centered: true },
  { name: 'adam', learningRate: 0.05, amsgrad: true },
  { name: 'adamw', learningRate: 0.05 },
  { name: 'adamax', learningRate: 0.05 },
  { name: 'nadam', learningRate: 0.05 },
  { name: 'lion', learningRate: 0.01, weightDecay: 0.1 },
  { name: 'adam', learningRate: { type: 'cosine', initialLearningRate: 0.05, decaySteps: 5 }, clipNorm: 1 },
];

const TOTAL = 7;
const SPLIT = 3;
const make = (spec: Record<string, unknown>) => createOptimizer(parseOptimizerSpec(spec));
const read = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

function uninterrupted(spec: Record<string, unknown>): number[][] {
  const opt = make(spec);
  const vars = makeVariables(initialValues());
  for (let s = 0; s < TOTAL; s++) step(opt, vars, gradientsAt(s));
  const out = read(vars);
  vars.forEach((v) => v.dispose());
  opt.dispose();
  return out;
}

/** SPLIT updates, hand over the state with `transfer`, the remaining updates on a fresh optimizer. */
async function interrupted(
  spec: Record<string, unknown>,
  transfer: (from: TrainerOptimizer, to: TrainerOptimizer) => Promise<void>,
): Promise<number[][]> {
  const vars = makeVariables(initialValues());
  const first = make(spec);
  for (let s = 0; s < SPLIT; s++) step(first, vars, gradientsAt(s));
  const second = make(spec);
  await transfer(first, second);
  first.dispose();
  assert.equal(second.iterations, SPLIT);
  for (let s = SPLIT; s < TOTAL; s++) step(second, vars, gradientsAt(s));
  const out = read(vars);
  vars.forEach((v) => v.dispose());
  second.dispose();
  return out;
}

// Not re-indented, to keep this diff small: the formatting pass after the merges indents it.
onEachBackend(() => {
  describe('exportState -> importState into a fresh optimizer continues bit for bit', () => {
    for (const spec of SPECS) {
      test(JSON.stringify(spec), async () => {
        const resumed = await interrupted(spec, async (from, to) => {
          const state = from.exportState();
          to.importState(state);
          state.slots.forEach((s) => s.tensor.dispose());
        });
        assert.deepEqual(resumed, uninterrupted(spec));
      });
    }
  });

  describe('getWeights -> setWeights (the tfjs API) continues bit for bit', () => {
    for (const spec of SPECS) {
      test(JSON.stringify(spec), async () => {
        const resumed = await interrupted(spec, async (from, to) => {
          const weights = await from.getWeights();
          await to.setWeights(weights);
          weights[0].tensor.dispose(); // `iter` is a fresh scalar; the rest are the optimizer's own slots
        });
        assert.deepEqual(resumed, uninterrupted(spec));
      });
    }
  });

  describe('tensors', () => {
    for (const spec of SPECS) {
      test(`no tensor leaks per update, and dispose() frees all slots: ${JSON.stringify(spec)}`, () => {
        const vars = makeVariables(initialValues());
        const opt = make(spec);
        const before = tf.memory().numTensors;
        step(opt, vars, gradientsAt(0)); // creates the slots
        const afterFirst = tf.memory().numTensors;
        step(opt, vars, gradientsAt(1));
        step(opt, vars, gradientsAt(2));
        assert.equal(tf.memory().numTensors, afterFirst);
        opt.dispose();
        assert.equal(tf.memory().numTensors, before);
        vars.forEach((v) => v.dispose());
      });
    }

    test('exportState returns copies: disposing them or updating further leaves the other intact', () => {
      const vars = makeVariables(initialValues());
      const opt = make({ name: 'adam' });
      step(opt, vars, gradientsAt(0));
      const state = opt.exportState();
      const saved = state.slots.map((s) => Array.from(s.tensor.dataSync()));
      step(opt, vars, gradientsAt(1));
      assert.deepEqual(
        state.slots.map((s) => Array.from(s.tensor.dataSync())),
        saved,
      );
      state.slots.forEach((s) => s.tensor.dispose());
      step(opt, vars, gradientsAt(2)); // the optimizer's own slots are still alive
      assert.equal(opt.iterations, 3);
      assert.deepEqual(
        state.slots.map((s) => [s.variable, s.slot]),
        vars.flatMap((v) => [
          [v.name, 'momentum'],
          [v.name, 'velocity'],
        ]),
      );
      opt.dispose();
      vars.forEach((v) => v.dispose());
    });
  });

  describe('importState validation', () => {
    function stateOf(spec: Record<string, unknown>) {
      const vars = makeVariables(initialValues());
      const opt = make(spec);
      step(opt, vars, gradientsAt(0));
      return { vars, opt, state: opt.exportState() };
    }

    test('a slot whose shape differs from its variable is rejected, and nothing changes', () => {
      const { vars, opt, state } = stateOf({ name: 'adam' });
      const fresh = make({ name: 'adam' });
      const bad = { ...state, slots: state.slots.map((s, i) => (i === 0 ? { ...s, tensor: tf.zeros([7]) } : s)) };
      assert.throws(
        () => fresh.importState(bad),
        (e: unknown) => e instanceof InvalidInputError && /shape/.test(e.message),
      );
      assert.equal(fresh.iterations, 0);
      [...state.slots.map((s) => s.tensor), bad.slots[0].tensor].forEach((t) => t.dispose());
      [opt, fresh].forEach((o) => o.dispose());
      vars.forEach((v) => v.dispose());
    });

    test('an unknown slot name or a missing slot is rejected', () => {
      const { vars, opt, state } = stateOf({ name: 'adam' });
      const fresh = make({ name: 'sgd', momentum: 0.9 });
      assert.throws(() => fresh.importState(state), /"velocity" is not a slot/);
      const adam = make({ name: 'adam' });
      assert.throws(() => adam.importState({ ...state, slots: state.slots.slice(1) }), /lacks slot\(s\) momentum/);
      assert.throws(() => adam.importState({ ...state, iterations: -1 }), /iterations/);
      state.slots.forEach((s) => s.tensor.dispose());
      [opt, fresh, adam].forEach((o) => o.dispose());
      vars.forEach((v) => v.dispose());
    });
  });
});
