/**
 * Admission control at submit: the memory estimate of a job, checked against arithmetic done by
 * hand here, the step limit, and the two jobs that poisoned a training child refused with the
 * service's default limits. The optimizer slot table is checked against the real optimizers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../src/errors.ts';
import { createOptimizer } from '../../src/engine/optimizers/registry.ts';
import { OPTIMIZER_NAMES, parseOptimizerSpec } from '../../src/domain/optimizer.ts';
import { datasetInfo } from '../../src/domain/dataset.ts';
import { parseJobSpec, planJob, type JobLimits } from '../../src/domain/job.ts';
import { estimateJobMemory, slotsPerWeight } from '../../src/domain/memory.ts';
import { checkModel } from '../../src/domain/model.ts';

const MIB = 2 ** 20;
/** The service's defaults (src/config.ts): MAX_STEPS, and CHILD_MAX_WASM_MB = 2048 as the memory limit. */
const DEFAULTS: JobLimits = {
  maxEpochs: 1000,
  maxBatchSize: 8192,
  maxParameters: 5_000_000,
  maxSteps: 1_000_000,
  maxJobMemoryBytes: 2048 * MIB,
};

function estimate(body: object) {
  const { spec } = parseJobSpec(body, { maxEpochs: 1000, maxBatchSize: 8192, maxParameters: 1e9 }, () => 1);
  const info = datasetInfo(spec.dataset);
  const summary = checkModel(spec.model, info.featureShape, info.target, Infinity);
  return estimateJobMemory(spec.model, summary, spec.optimizer, {
    inputShape: info.featureShape,
    batchSize: spec.training.batchSize,
    validationCount: planJob(spec).validationCount,
  });
}

/** The InvalidInputError parseJobSpec throws for `body` under `limits`. */
function refusal(body: object, limits: JobLimits = DEFAULTS): InvalidInputError {
  try {
    parseJobSpec(body, limits, () => 1);
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  assert.fail('the job was accepted');
}

const mnist = (layers: object[], batchSize: number, extra: object = {}) => ({
  dataset: { builtin: 'mnist', samples: 2000 },
  model: { layers, loss: 'sparseCategoricalCrossentropy' },
  optimizer: { name: 'adam' },
  training: { epochs: 1, batchSize, ...extra },
});

describe('job memory estimate', () => {
  it('adds weights, gradients, optimizer slots, activations and their gradients, and the input batch', () => {
    const e = estimate({
      dataset: { builtin: 'iris' },
      model: {
        layers: [
          { type: 'dense', units: 8, activation: 'relu' },
          { type: 'dropout', rate: 0.1 },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
        loss: 'sparseCategoricalCrossentropy',
      },
      optimizer: { name: 'adam' },
      training: { epochs: 1, batchSize: 16, validationSplit: 0.2 },
    });
    // Parameters: 4·8 + 8 = 40, 8·3 + 3 = 27 → 67; at 4 bytes: 268.
    // Adam keeps 2 slots per weight: 536. Gradients: 268.
    // Outputs per example: 8 (dense) + 8 (dropout) + 3 (dense) = 19 values; × 16 × 4 = 1,216, and as much for their gradients.
    // Input: 4 features × 16 × 4 = 256.
    assert.deepEqual(e.parts, { weights: 268, gradients: 268, slots: 536, activations: 1216, activationGradients: 1216, input: 256 });
    assert.equal(e.training, 268 + 268 + 536 + 1216 + 1216 + 256); // 3,760
    // Evaluation: 150 · 0.2 = 30 held out, one pass: 268 + 536 + 19·30·4 (2,280) + 4·30·4 (480) = 3,564.
    assert.equal(e.evaluation, 3564);
    assert.equal(e.bytes, 3760);
    assert.deepEqual(e.largest, { index: 0, type: 'dense', shape: [8], bytes: 8 * 16 * 4 });
  });

  it('counts no copy for flatten, and the evaluation pass when it is the larger', () => {
    const e = estimate({
      dataset: { builtin: 'mnist', samples: 100 },
      model: {
        layers: [
          { type: 'conv2d', filters: 2, kernelSize: 3 },
          { type: 'maxPooling2d' },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        loss: 'sparseCategoricalCrossentropy',
      },
      optimizer: { name: 'sgd' },
      training: { epochs: 1, batchSize: 4, validationSplit: 0.5 },
    });
    // conv 3·3·1·2 + 2 = 20 and dense 338·10 + 10 = 3,390 parameters: 3,410 → 13,640 bytes; plain SGD keeps no slot.
    // Outputs per example: [26,26,2] = 1,352, [13,13,2] = 338, flatten none (it relabels), dense 10 → 1,700.
    // Training, batch 4: 13,640 · 2 + 1,700·4·4 · 2 (54,400) + 784·4·4 (12,544) = 94,224.
    assert.equal(e.training, 94_224);
    // Evaluation of the 50 held-out examples: 13,640 + 1,700·50·4 (340,000) + 784·50·4 (156,800) = 510,440.
    assert.equal(e.evaluation, 510_440);
    assert.equal(e.bytes, 510_440);
    assert.deepEqual(e.largest, { index: 0, type: 'conv2d', shape: [26, 26, 2], bytes: 1352 * 4 * 4 });
  });

  it('knows how many slot tensors each optimizer keeps per weight (checked against the optimizers themselves)', () => {
    const variants = [
      ...OPTIMIZER_NAMES.map((name) => ({ name })),
      { name: 'sgd', momentum: 0.9 },
      { name: 'rmsprop', momentum: 0.9, centered: true },
      { name: 'adam', amsgrad: true },
    ];
    for (const input of variants) {
      const spec = parseOptimizerSpec(input);
      const optimizer = createOptimizer(spec);
      const w = tf.variable(tf.ones([3]), true, `slots_${JSON.stringify(input)}`);
      optimizer.applyGradients([{ name: w.name, tensor: tf.ones([3]) }]);
      const state = optimizer.exportState();
      assert.equal(slotsPerWeight(spec), state.slots.length, JSON.stringify(input));
      tf.dispose(state.slots.map((s) => s.tensor));
      optimizer.dispose();
      w.dispose();
    }
  });
});

describe('admission at submit', () => {
  it('refuses 10^8 optimizer steps, naming training.epochs and the numbers', () => {
    const err = refusal({
      dataset: { builtin: 'xor', samples: 100_000 },
      model: { layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }], loss: 'binaryCrossentropy' },
      optimizer: { name: 'sgd' },
      training: { epochs: 1000, batchSize: 1 },
    });
    assert.equal(err.field, 'training.epochs');
    // 100,000 examples in batches of 1: 100,000 steps an epoch, × 1,000 epochs = 10^8.
    assert.match(
      err.reason,
      new RegExp(
        /^1000 epochs of 100000 steps each \(100000 training examples in batches of 1\) /.source +
          /make 100000000 optimizer steps, over the limit of 1000000 per job/.source,
      ),
    );
    assert.deepEqual(err.details, { steps: 1e8, maxSteps: 1e6 });
  });

  it('accepts exactly MAX_STEPS steps', () => {
    // 2,000 examples in batches of 2 = 1,000 steps an epoch; 1,000 epochs = 10^6.
    assert.doesNotThrow(() =>
      parseJobSpec(
        mnist([{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }], 2, { epochs: 1000 }),
        DEFAULTS,
        () => 1,
      ),
    );
  });

  it('refuses dense 65536 → maxPooling2d 28 at batch 16 on mnist, naming the dense layer', () => {
    const err = refusal(
      mnist(
        [
          { type: 'dense', units: 65536 },
          { type: 'maxPooling2d', poolSize: 28 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        16,
      ),
    );
    assert.equal(err.field, 'model.layers[0]');
    // Its output alone: 28·28·65536 values × 16 × 4 bytes = 3,288,334,336 bytes = 3.1 GiB, over 2 GiB.
    assert.match(
      err.reason,
      new RegExp(
        /^training this job would take about [\d.]+ GiB of memory, over the limit of 2\.0 GiB per job: /.source +
          /most of it is this dense layer's output, \[28,28,65536\] values per example, 3\.1 GiB for a batch of 16/.source,
      ),
    );
    assert.match(err.reason, /use a smaller training\.batchSize/);
    assert.ok((err.details!.estimatedBytes as number) > 2 * 3_288_334_336, 'activations and their gradients');
    assert.equal(err.details!.limitBytes, 2048 * MIB);
  });

  it('refuses conv2d with 4096 filters at batch 256 on mnist, naming the convolution', () => {
    const err = refusal(
      mnist(
        [
          { type: 'conv2d', filters: 4096, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 26 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
        256,
      ),
    );
    assert.equal(err.field, 'model.layers[0]');
    // 26·26·4096 values × 256 × 4 bytes = 2,835,349,504 bytes = 2.6 GiB.
    assert.match(err.reason, /this conv2d layer's output, \[26,26,4096\] values per example, 2\.6 GiB for a batch of 256/);
  });

  it('names the parameters when they are what does not fit', () => {
    // 784·4096 + 4096 + 4096·10 + 10 = 3,256,330 parameters; × 4 bytes × (1 + 1 gradient + 2 Adam slots) = 52,101,280 bytes.
    const err = refusal(
      {
        ...mnist(
          [{ type: 'flatten' }, { type: 'dense', units: 4096, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
          1,
        ),
      },
      { ...DEFAULTS, maxJobMemoryBytes: 49 * MIB },
    );
    assert.equal(err.field, 'model.layers');
    assert.match(err.reason, /most of it is the 3256330 parameters, with their gradients and the adam optimizer's state \(49\.7 MiB\)/);
  });

  it('accepts the same job under a limit it fits', () => {
    const body = mnist(
      [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
      32,
    );
    assert.doesNotThrow(() => parseJobSpec(body, DEFAULTS, () => 1));
  });
});
