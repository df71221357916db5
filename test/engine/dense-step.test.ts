/**
 * The fused dense training step against tfjs's own autodiff of the same model (the path train()
 * takes otherwise): loss, accuracy count and every gradient, for each supported activation and
 * loss, on cpu and wasm. The expected values are tfjs's (meanLoss + variableGrads on the model
 * buildModel builds); the fused step computes in float64, so they agree to float32 rounding
 * (relative 1e-5 of the largest gradient), not bit for bit. Native TensorFlow has no fused step:
 * there every case must take tfjs's own path (no plan).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { denseStepPlan, runDenseStep } from '../../src/engine/dense-step.ts';
import { countCorrect, meanLoss } from '../../src/engine/losses.ts';
import { buildModel } from '../../src/engine/model.ts';
import { parseModelSpec } from '../../src/domain/model.ts';
import { backendsHere, hasFusedKernels } from '../helpers/backends.ts';

const BATCH = 6;
const INPUTS = 3;

interface Case {
  name: string;
  hidden: string;
  last: string;
  units: number;
  loss: string;
  useBias?: boolean;
}
const CASES: Case[] = [
  { name: 'tanh → sigmoid, binary crossentropy', hidden: 'tanh', last: 'sigmoid', units: 1, loss: 'binaryCrossentropy' },
  { name: 'relu → softmax, categorical crossentropy', hidden: 'relu', last: 'softmax', units: 4, loss: 'categoricalCrossentropy' },
  {
    name: 'sigmoid → softmax, sparse categorical crossentropy',
    hidden: 'sigmoid',
    last: 'softmax',
    units: 3,
    loss: 'sparseCategoricalCrossentropy',
  },
  { name: 'relu → linear, mean squared error', hidden: 'relu', last: 'linear', units: 2, loss: 'meanSquaredError' },
  {
    name: 'linear → sigmoid without biases, mean squared error',
    hidden: 'linear',
    last: 'sigmoid',
    units: 2,
    loss: 'meanSquaredError',
    useBias: false,
  },
  { name: 'tanh → sigmoid (2 outputs), binary crossentropy', hidden: 'tanh', last: 'sigmoid', units: 2, loss: 'binaryCrossentropy' },
];

/** Deterministic inputs and targets of the layout train()'s BatchMaker gives each loss. */
function batchFor(c: Case, row: number) {
  const x = Float32Array.from({ length: BATCH * INPUTS }, (_, i) => Math.sin(2.1 * i + row) * 1.5);
  const classes = Float32Array.from({ length: BATCH }, (_, b) => (b + row) % c.units || (c.units === 1 ? b % 2 : 0));
  let y: tf.Tensor;
  if (c.loss === 'sparseCategoricalCrossentropy') y = tf.tensor1d(classes);
  else if (c.loss === 'categoricalCrossentropy') y = tf.oneHot(tf.tensor1d(classes, 'int32'), c.units).toFloat();
  else if (c.loss === 'binaryCrossentropy')
    y = tf.tensor2d(
      Float32Array.from({ length: BATCH * c.units }, (_, i) => ((i * 7 + row) % 3 === 0 ? 1 : 0)),
      [BATCH, c.units],
    );
  else
    y = tf.tensor2d(
      Float32Array.from({ length: BATCH * c.units }, (_, i) => Math.cos(i + row)),
      [BATCH, c.units],
    );
  return { xs: tf.tensor2d(x, [BATCH, INPUTS]), ys: y, classes: tf.tensor1d(classes) };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * scale + 1e-7, `${what}[${i}]: fused ${actual[i]}, tfjs ${expected[i]}`);
  }
}

const modelOf = (c: Case) =>
  parseModelSpec({
    layers: [
      { type: 'dense', units: 5, activation: c.hidden, useBias: c.useBias ?? true },
      { type: 'dense', units: c.units, activation: c.last, useBias: c.useBias ?? true },
    ],
    loss: c.loss,
    metrics: ['accuracy'],
  });

const HERE = await backendsHere(['cpu', 'wasm', 'tensorflow'] as const);

for (const { backend, skip } of HERE.filter((b) => !hasFusedKernels(b.backend))) {
  describe(`no fused dense step on ${backend}`, { skip }, () => {
    before(async () => {
      await initBackend(backend);
    });
    after(async () => {
      await initBackend('cpu');
    });
    it("every case takes tfjs's own path: no plan", () => {
      for (const c of CASES) assert.equal(denseStepPlan(modelOf(c), [INPUTS], BATCH, backend), undefined, c.name);
    });
  });
}

for (const { backend, skip } of HERE.filter((b) => hasFusedKernels(b.backend))) {
  describe(`fused dense step on ${backend}`, { skip }, () => {
    before(async () => {
      await initBackend(backend);
    });
    after(async () => {
      await initBackend('cpu');
    });

    for (const c of CASES) {
      it(`${c.name}: loss, accuracy count and gradients as tfjs's autodiff`, () => {
        const spec = modelOf(c);
        const plan = denseStepPlan(spec, [INPUTS], BATCH, backend);
        assert.ok(plan, 'the fused step applies to this model');
        const before = tf.memory().numTensors;
        const model = buildModel(spec, [INPUTS], 7);
        // Biases start at zero: give them values so their gradients are tested off zero too.
        const shifted = model
          .getWeights()
          .map((w, i) => tf.tidy(() => tf.add(w, tf.mul(0.3, tf.sin(tf.range(0, w.size).reshape(w.shape).add(i))))));
        model.setWeights(shifted);
        tf.dispose(shifted);
        const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
        for (let row = 0; row < 3; row++) {
          const { xs, ys, classes } = tf.tidy(() => batchFor(c, row));
          const fused = runDenseStep(plan, xs, ys, classes, weights);
          let expectedCorrect = 0;
          const { value, grads } = tf.variableGrads(() => {
            const pred = model.apply(xs, { training: true }) as tf.Tensor;
            expectedCorrect = tf.tidy(() => countCorrect(pred, classes).dataSync()[0]);
            return meanLoss(spec.loss, ys, pred);
          }, weights);
          close(fused.loss.dataSync(), value.dataSync(), 'loss');
          assert.equal(fused.correct.dataSync()[0], expectedCorrect, 'correct count');
          weights.forEach((w, i) => close(fused.gradients[i].dataSync(), grads[w.name].dataSync(), `gradient of ${w.name}`));
          tf.dispose([xs, ys, classes, value, fused.loss, fused.correct, ...fused.gradients, ...Object.values(grads)]);
        }
        model.dispose();
        assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      });
    }

    it('is not used where it would not pay or does not apply', () => {
      const dense = (units: number) => ({ type: 'dense', units, activation: 'relu' });
      const model = (layers: object[]) =>
        parseModelSpec({ layers: [...layers, { type: 'dense', units: 2, activation: 'softmax' }], loss: 'categoricalCrossentropy' });
      assert.equal(denseStepPlan(model([dense(4)]), [784], 64, backend), undefined, 'too much work per step');
      assert.equal(denseStepPlan(model([dense(4), { type: 'dropout', rate: 0.5 }]), [3], 8, backend), undefined, 'dropout');
      assert.equal(denseStepPlan(model([{ type: 'dense', units: 4, activation: 'elu' }]), [3], 8, backend), undefined, 'elu');
      assert.equal(denseStepPlan(model([dense(4)]), [3], 8, 'tensorflow'), undefined, 'tfjs-node');
      assert.ok(denseStepPlan(model([dense(4)]), [3], 8, backend));
    });
  });
}
