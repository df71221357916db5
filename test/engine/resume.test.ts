/**
 * Continuing is exact, for every optimizer: E1 epochs, then a job resumed from its weights
 * and optimizer state for E2 epochs, ends with the same weights as E1+E2 epochs in one go
 * (same seed, schedule, dropout and batch-norm statistics); on every backend this machine has,
 * each against itself (bitwise exactness holds per backend: worker/resume-backend.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../src/engine/backend.ts';
import { OPTIMIZER_NAMES } from '../../src/domain/optimizer.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { train, type StartingPoint, type StepRecord } from '../../src/engine/train.ts';
import { backendsHere } from '../helpers/backends.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };

function job(name: string, epochs: number) {
  return parseJobSpec(
    {
      dataset: { builtin: 'spirals', samples: 64, classes: 3 },
      model: {
        layers: [
          { type: 'dense', units: 8, activation: 'tanh' },
          { type: 'dropout', rate: 0.2 },
          { type: 'batchNormalization' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
        loss: 'sparseCategoricalCrossentropy',
      },
      // A decaying schedule: a resumed job must continue it from the stored iteration count.
      optimizer: { name, learningRate: { type: 'inverseTime', initialLearningRate: 0.05, decaySteps: 4, decayRate: 0.5 } },
      training: { epochs, batchSize: 16, validationSplit: 0.25, seed: 21 },
    },
    LIMITS,
    () => 0,
  );
}

async function run(parsed: ReturnType<typeof job>, start?: StartingPoint) {
  const steps: StepRecord[] = [];
  const epochs: number[] = [];
  const result = await train(
    parsed.spec,
    parsed.plan,
    {
      onStep: (s) => {
        steps.push(s);
      },
      onEpoch: (e) => {
        epochs.push(e.epoch);
      },
      stopRequested: () => undefined,
    },
    start,
  );
  return { steps, epochs, result };
}

for (const { backend, skip } of await backendsHere(['cpu', 'wasm', 'tensorflow'] as const)) {
  describe(`resume is exact for every optimizer on ${backend}`, { skip }, () => {
    before(async () => {
      await initBackend(backend);
    });

    for (const name of OPTIMIZER_NAMES) {
      it(name, async () => {
        const first = await run(job(name, 2));
        const resumed = await run(job(name, 3), {
          weights: first.result.model,
          optimizerState: first.result.optimizerState,
          epochOffset: 2,
        });
        const whole = await run(job(name, 5));
        assert.deepEqual(resumed.epochs, [3, 4, 5], 'epochs continue the numbering');
        assert.deepEqual(resumed.steps, whole.steps.slice(first.steps.length), 'same steps, losses and learning rates');
        assert.deepEqual(new Float32Array(resumed.result.model.weightData), new Float32Array(whole.result.model.weightData));
        assert.deepEqual(resumed.result.optimizerState, whole.result.optimizerState);
      });
    }

    it('from the weights alone, the optimizer starts afresh (steps from 1, schedule from its start)', async () => {
      const first = await run(job('adam', 2));
      const fresh = await run(job('adam', 1), { weights: first.result.model, epochOffset: 2 });
      assert.equal(fresh.steps[0].step, 1);
      assert.equal(fresh.steps[0].learningRate, 0.05);
      assert.deepEqual(fresh.epochs, [3]);
    });
  });
}
