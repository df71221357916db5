/**
 * The compiled step (src/engine/compiled/) against the eager path on the same backend (native
 * TensorFlow): every optimizer and option, every layer, activation and loss it compiles, trains
 * to the same losses, weights and optimizer state up to float32 rounding (the two run the same
 * TensorFlow kernels, but the eager gradients are tfjs's own formulas and the compiled ones
 * TensorFlow's registry, which round differently). Resume from a mid-epoch checkpoint and
 * continuation are bit for bit, as on every backend. Skipped, with the reason, where native
 * TensorFlow or the addon is not built (npm run native).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { graphAddon, type GraphAddon } from '../../src/engine/compiled/addon.ts';
import { compiledStepRefusal } from '../../src/engine/compiled/training.ts';
import { CompiledStep, compiledStepsBuilt, type CompiledStepSpec } from '../../src/engine/compiled/step.ts';
import { train, type Checkpoint, type StartingPoint, type StepRecord, type TrainOptions } from '../../src/engine/train.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { ACTIVATIONS } from '../../src/domain/model.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };

async function nativeAbsence(): Promise<string | undefined> {
  if (graphAddon() === undefined) return 'the compiled-step addon is not built here (npm run native)';
  try {
    await initBackend('tensorflow');
    return undefined;
  } catch (err) {
    return `native TensorFlow does not load here: ${(err as Error).message}`;
  }
}
const skip = await nativeAbsence();

type Request = Record<string, unknown>;

const spirals = { builtin: 'spirals', samples: 48, classes: 3 };
const dense = (activation = 'tanh') => ({
  layers: [
    { type: 'dense', units: 6, activation },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
});

function request(parts: { dataset?: object; model?: object; optimizer?: object; epochs?: number }): Request {
  return {
    dataset: parts.dataset ?? spirals,
    model: parts.model ?? dense(),
    optimizer: parts.optimizer ?? { name: 'adam', learningRate: 0.02 },
    training: { epochs: parts.epochs ?? 2, batchSize: 16, validationSplit: 0.25, seed: 5 },
  };
}

interface Run {
  steps: StepRecord[];
  epochs: Array<{ loss: number; valLoss?: number; accuracy?: number }>;
  weights: Float32Array;
  slots: Float32Array[];
  iterations: number;
  checkpoints: Checkpoint[];
}

async function run(req: Request, options: TrainOptions = {}, start?: StartingPoint, stopAfterStep?: number): Promise<Run> {
  const { spec, plan } = parseJobSpec(req, LIMITS, () => 0);
  const steps: StepRecord[] = [];
  const epochs: Run['epochs'] = [];
  const checkpoints: Checkpoint[] = [];
  const result = await train(
    spec,
    plan,
    {
      onStep: (s) => void steps.push(s),
      onEpoch: (e) => void epochs.push(e),
      stopRequested: () => (stopAfterStep !== undefined && steps.length >= stopAfterStep ? 'shutdown' : undefined),
      onCheckpoint: (c) => void checkpoints.push(c),
    },
    start,
    undefined,
    options,
  );
  return {
    steps,
    epochs,
    weights: new Float32Array(result.model.weightData),
    slots: result.optimizerState.slots.map((s) => s.values),
    iterations: result.optimizerState.iterations,
    checkpoints,
  };
}

/** |a − b| ≤ tol · max(1, |b|), element by element, with the worst one in the message. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) [worst, at] = [err, i];
  }
  assert.ok(worst <= tol, `${what}: element ${at} is ${actual[at]}, eager gives ${expected[at]} (relative error ${worst})`);
}

/** Compiled and eager on the same job: same losses, weights and slots to float32 rounding. */
async function assertMatchesEager(req: Request, tol = 2e-4): Promise<void> {
  const compiled = await run(req);
  const eager = await run(req, { compile: false });
  assert.equal(compiled.steps.length, eager.steps.length);
  assert.deepEqual(
    compiled.steps.map((s) => s.learningRate),
    eager.steps.map((s) => s.learningRate),
  );
  assertClose(
    compiled.steps.map((s) => s.loss),
    eager.steps.map((s) => s.loss),
    tol,
    'step losses',
  );
  assertClose(compiled.weights, eager.weights, tol, 'weights');
  assert.equal(compiled.slots.length, eager.slots.length);
  compiled.slots.forEach((s, i) => assertClose(s, eager.slots[i], tol, `slot ${i}`));
  assert.equal(compiled.iterations, eager.iterations);
  assertClose(
    compiled.epochs.map((e) => e.valLoss ?? NaN),
    eager.epochs.map((e) => e.valLoss ?? NaN),
    tol,
    'validation losses',
  );
}

/** A compiled step of plain SGD (lr 0.1), categorical cross-entropy, one thread: for the tests that look at its graph. */
function sgdStep(addon: GraphAddon, model: Pick<CompiledStepSpec, 'layers' | 'featureShape' | 'outputs' | 'weightShapes'>): CompiledStep {
  return new CompiledStep(addon, {
    ...model,
    loss: 'categoricalCrossentropy',
    targetShape: [model.outputs],
    withClasses: false,
    rule: 'sgd',
    slotNames: [],
    c0: [0.1],
    decay: false,
    clip: {},
    threads: 1,
    deviceBuffer: 1,
  });
}

describe('the compiled step on native TensorFlow', { skip }, () => {
  before(async () => {
    await initBackend('tensorflow');
  });

  describe('trains as the eager path does, for every optimizer and option', () => {
    const optimizers: Array<[string, object]> = [
      ['sgd', { name: 'sgd', learningRate: 0.1 }],
      ['momentum', { name: 'momentum', learningRate: 0.05 }],
      ['nesterov', { name: 'nesterov', learningRate: 0.05 }],
      ['adagrad', { name: 'adagrad', learningRate: 0.1 }],
      ['adadelta', { name: 'adadelta', learningRate: 1 }],
      ['rmsprop', { name: 'rmsprop', learningRate: 0.01 }],
      ['rmsprop centered with momentum', { name: 'rmsprop', learningRate: 0.01, centered: true, momentum: 0.5 }],
      ['rmsprop centered', { name: 'rmsprop', learningRate: 0.01, centered: true }],
      ['adam', { name: 'adam', learningRate: 0.02 }],
      ['amsgrad', { name: 'adam', learningRate: 0.02, amsgrad: true }],
      ['adamw', { name: 'adamw', learningRate: 0.02, weightDecay: 0.1 }],
      ['adamax', { name: 'adamax', learningRate: 0.02 }],
      ['nadam', { name: 'nadam', learningRate: 0.02 }],
      ['lion', { name: 'lion', learningRate: 0.002 }],
      ['clipNorm', { name: 'adam', learningRate: 0.02, clipNorm: 0.1 }],
      ['globalClipNorm', { name: 'sgd', learningRate: 0.1, globalClipNorm: 0.2 }],
      ['clipValue', { name: 'momentum', learningRate: 0.05, clipValue: 0.01 }],
      ['a schedule', { name: 'adam', learningRate: { type: 'cosine', initialLearningRate: 0.05, decaySteps: 5 } }],
    ];
    for (const [label, optimizer] of optimizers) it(label, () => assertMatchesEager(request({ optimizer })));
  });

  describe('compiles each activation, layer and loss as tfjs-layers computes it', () => {
    // Every activation a job may name: a new one without a compiled form fails here.
    for (const activation of ACTIVATIONS) {
      it(`dense with ${activation}`, () => {
        const req = request({ model: dense(activation) });
        assert.equal(compiledStepRefusal(parseJobSpec(req, LIMITS, () => 0).spec, [2], 'tensorflow'), undefined);
        return assertMatchesEager(req);
      });
    }
    it('meanSquaredError on a regression', () =>
      assertMatchesEager(
        request({
          dataset: { builtin: 'linear', samples: 48, features: 3 },
          model: {
            layers: [
              { type: 'dense', units: 4, activation: 'relu' },
              { type: 'dense', units: 1 },
            ],
            loss: 'meanSquaredError',
          },
        }),
      ));
    it('binaryCrossentropy with accuracy', () =>
      assertMatchesEager(
        request({
          dataset: { builtin: 'xor', samples: 48 },
          model: {
            layers: [
              { type: 'dense', units: 4, activation: 'tanh' },
              { type: 'dense', units: 1, activation: 'sigmoid' },
            ],
            loss: 'binaryCrossentropy',
            metrics: ['accuracy'],
          },
        }),
      ));
    it('categoricalCrossentropy', () => assertMatchesEager(request({ model: { ...dense(), loss: 'categoricalCrossentropy' } })));
    it('conv2d, both poolings, reshape and flatten', () =>
      assertMatchesEager(
        request({
          dataset: { builtin: 'mnist', samples: 48, shape: 'image' },
          model: {
            layers: [
              { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, activation: 'relu' },
              { type: 'maxPooling2d', poolSize: 2 },
              { type: 'conv2d', filters: 2, kernelSize: 2, padding: 'same', useBias: false },
              { type: 'averagePooling2d', poolSize: 2, padding: 'same' },
              { type: 'reshape', targetShape: [9, 2] },
              { type: 'flatten' },
              { type: 'dense', units: 10, activation: 'softmax' },
            ],
            loss: 'categoricalCrossentropy',
            metrics: ['accuracy'],
          },
        }),
      ));
  });

  describe('runs a narrow stride-1 conv2d and the max-pooling after it as one MatMul (conv-matmul.ts)', () => {
    const image = { builtin: 'mnist', samples: 48, shape: 'image' };
    const cnn = (layers: object[]) => ({
      layers: [...layers, { type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }],
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    it('conv and a pool that tiles it, as the bench CNN', () =>
      assertMatchesEager(
        request({
          dataset: image,
          model: cnn([
            { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
            { type: 'maxPooling2d', poolSize: 2 },
          ]),
        }),
      ));
    it('a same-padded conv with a pool that drops the last row and column', () =>
      assertMatchesEager(
        request({
          dataset: image,
          model: cnn([
            { type: 'conv2d', filters: 3, kernelSize: [3, 2], padding: 'same', activation: 'tanh' },
            { type: 'maxPooling2d', poolSize: 3 },
          ]),
        }),
      ));
    it('a conv without a pool, then one of several channels (kept as Conv2D) and a pool that does not tile', () =>
      assertMatchesEager(
        request({
          dataset: image,
          model: cnn([
            { type: 'conv2d', filters: 2, kernelSize: 5, useBias: false, activation: 'elu' },
            { type: 'conv2d', filters: 2, kernelSize: 2, activation: 'relu' },
            { type: 'maxPooling2d', poolSize: 3, strides: 2 },
          ]),
        }),
      ));

    it('builds no Conv2D, MaxPool or their gradients for the bench CNN, and keeps them for a strided conv', () => {
      const addon = graphAddon();
      assert.ok(addon);
      const kernels = (layers: object[], weightShapes: number[][]) => {
        const step = sgdStep(addon, {
          layers: parseJobSpec(request({ dataset: image, model: cnn(layers) }), LIMITS, () => 0).spec.model.layers,
          featureShape: [28, 28, 1],
          outputs: 10,
          weightShapes,
        });
        try {
          step.load(
            weightShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.01)),
            weightShapes.map(() => []),
          );
          const y = new Float32Array(20);
          y[3] = y[17] = 1;
          return step.profile(new Float32Array(2 * 784).fill(0.5), y, undefined, 2, [0.1]).map((o) => o.node);
        } finally {
          step.close();
        }
      };
      const folded = kernels(
        [
          { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
        ],
        [[3, 3, 1, 8], [8], [13 * 13 * 8, 10], [10]],
      );
      assert.deepEqual(
        folded.filter((n) => /Conv2D|MaxPool/.test(n)),
        [],
      );
      assert.ok(folded.some((n) => /Transpose/.test(n)));
      const strided = kernels(
        [
          { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
        ],
        [[3, 3, 1, 8], [8], [6 * 6 * 8, 10], [10]],
      );
      assert.ok(strided.some((n) => /Conv2DBackpropFilter/.test(n)) && strided.some((n) => /MaxPoolGrad/.test(n)), strided.join(', '));
    });
  });

  it('is the path a supported job takes, and says why another does not', () => {
    const parse = (req: Request) => parseJobSpec(req, LIMITS, () => 0).spec;
    assert.equal(compiledStepRefusal(parse(request({})), [2], 'tensorflow'), undefined);
    assert.match(compiledStepRefusal(parse(request({})), [2], 'wasm') ?? '', /wasm backend has no compiled step/);
    const withDropout = request({ model: { ...dense(), layers: [{ type: 'dropout', rate: 0.5 }, ...dense().layers] } });
    assert.match(compiledStepRefusal(parse(withDropout), [2], 'tensorflow') ?? '', /layer 0 \(dropout\) has no compiled form/);
  });

  it('resumes from a mid-epoch checkpoint bit for bit', async () => {
    const req = request({
      optimizer: { name: 'nadam', learningRate: { type: 'inverseTime', initialLearningRate: 0.05, decaySteps: 4, decayRate: 0.5 } },
      epochs: 3,
    });
    const whole = await run(req);
    const interrupted = await run(req, {}, undefined, 4); // 3 steps an epoch: stops in epoch 2
    const checkpoint = interrupted.checkpoints.at(-1);
    assert.ok(checkpoint, 'a checkpoint at the stop');
    const { weights, optimizerState, ...resume } = checkpoint;
    const resumed = await run(req, {}, { weights, optimizerState, resume });
    assert.deepEqual([...interrupted.steps.slice(0, 4), ...resumed.steps], whole.steps, 'every step once, same losses');
    assert.deepEqual(resumed.weights, whole.weights);
    assert.deepEqual(resumed.slots, whole.slots);
    assert.deepEqual(resumed.epochs.at(-1), whole.epochs.at(-1));
  });

  it('continues a finished job bit for bit (initFrom with its optimizer state)', async () => {
    const first = await run(request({ epochs: 2 }));
    const { spec } = parseJobSpec(request({ epochs: 2 }), LIMITS, () => 0);
    const firstResult = await train(spec, parseJobSpec(request({ epochs: 2 }), LIMITS, () => 0).plan, {
      onStep: () => {},
      onEpoch: () => {},
      stopRequested: () => undefined,
    });
    const continued = await run(
      request({ epochs: 1 }),
      {},
      { weights: firstResult.model, optimizerState: firstResult.optimizerState, epochOffset: 2 },
    );
    const whole = await run(request({ epochs: 3 }));
    assert.deepEqual(continued.steps, whole.steps.slice(first.steps.length));
    assert.deepEqual(continued.weights, whole.weights);
  });

  it('a step kept from the previous job of the same shape trains exactly as a new one', async () => {
    const a = request({ optimizer: { name: 'adam', learningRate: 0.02 } });
    const b = request({ optimizer: { name: 'adam', learningRate: 0.05 } });
    await run(request({ model: dense('relu') })); // another shape: whatever was kept is replaced
    const built = compiledStepsBuilt();
    const fresh = await run(b); // built anew
    await run(a); // reuses b's step
    const reused = await run(b); // reuses it again, after a's weights and slots
    assert.equal(compiledStepsBuilt(), built + 1, 'one step built for the three jobs');
    assert.deepEqual(reused.steps, fresh.steps);
    assert.deepEqual(reused.weights, fresh.weights);
    assert.deepEqual(reused.slots, fresh.slots);
  });

  it('holds losses on the device and reads them in groups (as on a GPU), with the same results', async () => {
    const req = request({ epochs: 3 });
    const everyStep = await run(req);
    const grouped = await run(req, { lossReadInterval: 4 });
    assert.deepEqual(grouped.steps, everyStep.steps);
    assert.deepEqual(grouped.epochs, everyStep.epochs);
    assert.deepEqual(grouped.weights, everyStep.weights);
  });

  it('profiles a step: every op it ran, with its time', () => {
    const addon = graphAddon();
    assert.ok(addon);
    const step = sgdStep(addon, {
      layers: parseJobSpec(request({}), LIMITS, () => 0).spec.model.layers,
      featureShape: [2],
      outputs: 3,
      weightShapes: [[2, 6], [6], [6, 3], [3]],
    });
    try {
      step.load(
        [new Float32Array(12).fill(0.1), new Float32Array(6), new Float32Array(18).fill(-0.1), new Float32Array(3)],
        [[], [], [], []],
      );
      const ops = step.profile(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 0, 1, 0), undefined, 2, [0.1]);
      const names = ops.map((o) => o.node);
      assert.ok(
        names.some((n) => /MatMul/.test(n)),
        `a MatMul among ${names.join(', ')}`,
      );
      assert.ok(
        names.some((n) => n.startsWith('gradients/')),
        'the gradient ops ran',
      );
      assert.ok(ops.every((o) => o.micros >= 0 && o.startMicros > 0));
    } finally {
      step.close();
    }
  });

  it('leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    await run(request({}));
    assert.equal(tf.memory().numTensors, before);
  });

  it('fails a diverging job at the step its loss stopped being finite', async () => {
    const req = request({
      dataset: { builtin: 'linear', samples: 48, features: 3 },
      model: { layers: [{ type: 'dense', units: 1 }], loss: 'meanSquaredError' },
      optimizer: { name: 'sgd', learningRate: 1e6 },
    });
    await assert.rejects(run(req), { name: 'NonFiniteLossError' });
  });
});
