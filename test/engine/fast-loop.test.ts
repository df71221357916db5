/**
 * The loop's fast paths change nothing a job reports:
 * - losses read in groups of k steps (as on a GPU) give the same steps, losses and weights as
 *   reading every step, and a non-finite loss still fails the job at the step it appeared;
 * - a small dense model takes the fused dense step (dense-step.ts), and a job stopped mid-epoch
 *   and resumed from its checkpoint on that path ends bit for bit where an uninterrupted one does.
 * Expected values come from the same loop run the plain way (k = 1, uninterrupted).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { denseStepPlan } from '../../src/engine/dense-step.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { NonFiniteLossError, train, type TrainHooks } from '../../src/engine/train.ts';
import type { Checkpoint, StepRecord } from '../../src/domain/records.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };

function job(layers: object[], overrides: Record<string, unknown> = {}) {
  return parseJobSpec(
    {
      dataset: { builtin: 'spirals', samples: 90, classes: 3 },
      model: { layers, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      optimizer: { name: 'adam', learningRate: 0.02 },
      training: { epochs: 3, batchSize: 8, validationSplit: 0.2, seed: 5 },
      ...overrides,
    },
    LIMITS,
    () => 0,
  );
}
const DENSE = [
  { type: 'dense', units: 8, activation: 'tanh' },
  { type: 'dense', units: 3, activation: 'softmax' },
];
const WITH_DROPOUT = [
  { type: 'dense', units: 8, activation: 'relu' },
  { type: 'dropout', rate: 0.3 },
  { type: 'dense', units: 3, activation: 'softmax' },
];

async function run(parsed: ReturnType<typeof job>, opts: { k?: number; suspendAt?: number; start?: Parameters<typeof train>[3] } = {}) {
  const steps: StepRecord[] = [];
  const epochs: unknown[] = [];
  let checkpoint: Checkpoint | undefined;
  const hooks: TrainHooks = {
    onStep: (s) => {
      steps.push(s);
    },
    onEpoch: (e) => {
      epochs.push(e);
    },
    stopRequested: () => (opts.suspendAt !== undefined && steps.length >= opts.suspendAt ? 'shutdown' : undefined),
    checkpointDue: () => false,
    onCheckpoint: (c) => {
      checkpoint = c;
    },
  };
  const result = await train(parsed.spec, parsed.plan, hooks, opts.start, undefined, { lossReadInterval: opts.k ?? 1 });
  return { steps, epochs, result, checkpoint };
}

describe('fast paths of the training loop', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const [name, layers] of [
    ['fused dense step', DENSE],
    ['tfjs autodiff (dropout)', WITH_DROPOUT],
  ] as const) {
    it(`${name}: losses read every 5 steps give the same steps, epochs and weights as every step`, async () => {
      const parsed = job([...layers]);
      const baseline = tf.memory().numTensors;
      const every = await run(parsed);
      const grouped = await run(parsed, { k: 5 });
      assert.equal(every.steps.length, 27); // 72 training examples / 8 = 9 steps × 3 epochs
      assert.deepEqual(grouped.steps, every.steps);
      assert.deepEqual(grouped.epochs, every.epochs);
      assert.deepEqual(new Float32Array(grouped.result.model.weightData), new Float32Array(every.result.model.weightData));
      assert.equal(tf.memory().numTensors, baseline, 'no tensors left behind');
    });

    it(`${name}: a diverging job fails at the same step whether losses are read every step or every 7`, async () => {
      const regression = [...layers.slice(0, -1), { type: 'dense', units: 3, activation: 'linear' }];
      const parsed = job([], {
        dataset: { builtin: 'linear', samples: 90, features: 2, outputs: 3 },
        model: { layers: regression, loss: 'meanSquaredError' },
        optimizer: { name: 'sgd', learningRate: 1e6 },
      });
      const failure = async (k: number) => {
        try {
          await run(parsed, { k });
        } catch (err) {
          if (err instanceof NonFiniteLossError) return err;
          throw err;
        }
        return assert.fail('the job did not diverge');
      };
      const baseline = tf.memory().numTensors;
      const one = await failure(1);
      const seven = await failure(7);
      assert.ok(one.step > 1);
      assert.deepEqual([seven.step, seven.epoch], [one.step, one.epoch]);
      assert.equal(tf.memory().numTensors, baseline, 'no tensors left behind');
    });
  }

  it('a small dense model takes the fused step; resumed mid-epoch from a checkpoint, it ends bit for bit as if uninterrupted', async () => {
    const parsed = job(DENSE);
    assert.ok(denseStepPlan(parsed.spec.model, [2], parsed.spec.training.batchSize, tf.getBackend()), 'the fused step applies');
    const whole = await run(parsed);
    const first = await run(parsed, { suspendAt: 13, k: 4 }); // mid-epoch 2 (9 steps an epoch), inside a group of 4
    assert.ok(first.checkpoint && first.result.stopped);
    const { weights, optimizerState, ...position } = first.checkpoint;
    const rest = await run(parsed, { start: { weights, optimizerState, resume: position } });
    assert.deepEqual([...first.steps, ...rest.steps], whole.steps);
    assert.deepEqual(new Float32Array(rest.result.model.weightData), new Float32Array(whole.result.model.weightData));
    assert.deepEqual(rest.result.optimizerState, whole.result.optimizerState);
  });
});
