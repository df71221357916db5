/** The training loop as a library, on every backend this machine has: determinism, memory, stopping; datasets. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { generateDataset } from '../../src/engine/builtin-datasets.ts';
import { parseDatasetSpec } from '../../src/domain/dataset.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { NonFiniteLossError, train, type StepRecord } from '../../src/engine/train.ts';
import { backendsHere } from '../helpers/backends.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };

function job(overrides: Record<string, unknown> = {}) {
  return parseJobSpec(
    {
      dataset: { builtin: 'spirals', samples: 120 },
      model: {
        layers: [
          { type: 'dense', units: 12, activation: 'relu' },
          { type: 'dropout', rate: 0.2 },
          { type: 'batchNormalization' },
          { type: 'dense', units: 2, activation: 'softmax' },
        ],
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
      },
      optimizer: { name: 'rmsprop', learningRate: 0.01, centered: true, momentum: 0.5 },
      training: { epochs: 3, batchSize: 10, validationSplit: 0.25, seed: 11 },
      ...overrides,
    },
    LIMITS,
    () => 0,
  );
}

async function run(parsed = job(), shouldStop = () => false) {
  const stopRequested = () => (shouldStop() ? ('cancel' as const) : undefined);
  const steps: StepRecord[] = [];
  const result = await train(parsed.spec, parsed.plan, {
    onStep: (s) => {
      steps.push(s);
    },
    onEpoch() {},
    stopRequested,
  });
  return { steps, result };
}

for (const { backend, skip } of await backendsHere(['cpu', 'wasm', 'tensorflow'] as const)) {
  describe(`training loop on ${backend}`, { skip }, () => {
    before(async () => {
      await initBackend(backend);
    });

    it('gives the same losses and weights for the same spec and seed, other ones for another seed', async () => {
      const a = await run();
      const b = await run();
      assert.equal(a.steps.length, 27); // 90 training examples / 10 per batch × 3 epochs
      assert.deepEqual(a.steps, b.steps);
      assert.deepEqual(new Float32Array(a.result.model.weightData), new Float32Array(b.result.model.weightData));
      const other = job();
      other.spec.training.seed = 12;
      const c = await run(other);
      assert.notDeepEqual(
        c.steps.map((s) => s.loss),
        a.steps.map((s) => s.loss),
      );
    });

    it('leaves no tensor behind', async () => {
      const before = tf.memory().numTensors;
      await run();
      assert.equal(tf.memory().numTensors, before);
    });

    it('stops at the step it is asked to, with the state of that step', async () => {
      let asked = 0;
      const { steps, result } = await run(job(), () => ++asked > 5);
      assert.equal(result.stopped, true);
      assert.equal(steps.length, 5);
      assert.equal(result.optimizerState.iterations, 5);
    });

    it('throws NonFiniteLossError naming the step when the loss diverges', async () => {
      const parsed = job({
        dataset: { builtin: 'linear', samples: 40 },
        model: { layers: [{ type: 'dense', units: 1 }], loss: 'meanSquaredError' },
        optimizer: { name: 'sgd', learningRate: 1e5 },
      });
      await assert.rejects(run(parsed), (err: unknown) => err instanceof NonFiniteLossError && err.step > 1);
    });

    it('records the learning rate of every step from the schedule', async () => {
      const parsed = job({
        optimizer: { name: 'sgd', learningRate: { type: 'exponential', initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 } },
      });
      const { steps } = await run(parsed);
      // Keras ExponentialDecay: lr(step) = 0.1 · 0.5^(step / 1), the step counted from 0 before each update.
      steps.forEach((s, i) => assert.ok(Math.abs(s.learningRate - 0.1 * 0.5 ** i) < 1e-12, `step ${s.step}: ${s.learningRate}`));
    });
  });
}

describe('builtin datasets', () => {
  it('iris has the 150 flowers of the package, 50 of each class, standardized', () => {
    const d = generateDataset(parseDatasetSpec({ builtin: 'iris' }), 0);
    assert.equal(d.count, 150);
    const counts = [0, 0, 0];
    d.targets.forEach((t) => counts[t]++);
    assert.deepEqual(counts, [50, 50, 50]);
    for (let j = 0; j < 4; j++) {
      let mean = 0;
      for (let i = 0; i < 150; i++) mean += d.features[i * 4 + j] / 150;
      assert.ok(Math.abs(mean) < 1e-5);
    }
  });

  it('mnist gives balanced 28×28×1 digits in [0, 1]', () => {
    const d = generateDataset(parseDatasetSpec({ builtin: 'mnist', samples: 100 }), 0);
    assert.deepEqual(d.featureShape, [28, 28, 1]);
    assert.equal(d.features.length, 100 * 784);
    assert.ok(d.features.every((v) => v >= 0 && v <= 1));
    assert.deepEqual([...d.targets.slice(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });

  it('generated datasets depend on the seed only', () => {
    for (const builtin of ['xor', 'spirals', 'linear']) {
      const spec = parseDatasetSpec({ builtin });
      assert.deepEqual(generateDataset(spec, 5), generateDataset(spec, 5));
      assert.notDeepEqual(generateDataset(spec, 5).features, generateDataset(spec, 6).features);
    }
  });

  it('xor labels are the xor of the corners the points scatter around', () => {
    const d = generateDataset(parseDatasetSpec({ builtin: 'xor', samples: 500, noise: 0.05 }), 1);
    for (let i = 0; i < d.count; i++) {
      assert.equal(d.targets[i], Math.round(d.features[2 * i]) ^ Math.round(d.features[2 * i + 1]));
    }
  });
});
