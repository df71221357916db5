/**
 * The API checks models without TensorFlow.js, by its own shape arithmetic. Here tf.layers
 * itself is the reference: for many models, every layer's output shape and the parameter
 * count we compute must equal what the built tf.Sequential reports.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../src/engine/model.ts';
import { mulberry32 } from '../../src/engine/random.ts';
import { checkModel, parseModelSpec, resolveReshapes } from '../../src/domain/model.ts';

before(async () => {
  await tf.setBackend('cpu');
});

/** A random but valid stack of image layers ending in a 10-way softmax. */
function randomImageModel(seed: number) {
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const layers: object[] = [];
  for (let i = 0; i < 3; i++) {
    layers.push({
      type: 'conv2d',
      filters: pick([1, 3, 4]),
      kernelSize: pick([1, 2, 3, [3, 2]]),
      strides: pick([1, 2, [1, 2]]),
      padding: pick(['valid', 'same']),
      useBias: pick([true, false]),
      activation: 'relu',
    });
    if (random() < 0.5)
      layers.push({ type: pick(['maxPooling2d', 'averagePooling2d']), poolSize: pick([2, [2, 1]]), padding: pick(['valid', 'same']) });
    if (random() < 0.4) layers.push({ type: 'batchNormalization', center: pick([true, false]), scale: pick([true, false]) });
    if (random() < 0.3) layers.push({ type: 'dropout', rate: 0.25 });
  }
  layers.push(
    { type: 'flatten' },
    { type: 'dense', units: pick([5, 16]), activation: 'tanh' },
    { type: 'dense', units: 10, activation: 'softmax' },
  );
  return { layers, loss: 'categoricalCrossentropy' };
}

describe('model shape check agrees with tf.layers', () => {
  const target = { kind: 'classes' as const, classes: 10 };
  for (let seed = 1; seed <= 25; seed++) {
    it(`random image model #${seed}`, () => {
      const spec = parseModelSpec(randomImageModel(seed));
      const inputShape = [28, 28, 1];
      let ours;
      try {
        ours = checkModel(spec, inputShape, target, 1e9);
      } catch (err) {
        // We call it too small; tf.layers must agree: it refuses to build, or a layer comes out empty.
        assert.match((err as Error).message, /is empty/);
        let built: tf.Sequential | undefined;
        try {
          built = buildModel(spec, inputShape, 1);
        } catch {
          return;
        }
        const empty = built.layers.some((l) => (l.outputShape as number[]).slice(1).some((d) => d <= 0));
        built.dispose();
        assert.ok(empty, 'tf.layers built a model we refused');
        return;
      }
      const model = buildModel(spec, inputShape, 1);
      try {
        const theirs = model.layers.map((l) => (l.outputShape as number[]).slice(1));
        assert.deepEqual(ours.outputShapes, theirs);
        assert.equal(ours.parameters, model.countParams());
      } finally {
        model.dispose();
      }
    });
  }

  it('a reshape with an inferred dimension, then dense on a rank-2 input', () => {
    const spec = parseModelSpec({
      layers: [{ type: 'reshape', targetShape: [2, -1] }, { type: 'dense', units: 3 }, { type: 'flatten' }, { type: 'dense', units: 1 }],
      loss: 'meanSquaredError',
    });
    const ours = checkModel(spec, [8], { kind: 'regression', dims: 1 }, 1e9);
    assert.deepEqual(ours.outputShapes[0], [2, 4]);
    const model = buildModel(resolveReshapes(spec, ours), [8], 1);
    assert.deepEqual(
      ours.outputShapes,
      model.layers.map((l) => (l.outputShape as number[]).slice(1)),
    );
    assert.equal(ours.parameters, model.countParams());
    model.dispose();
  });

  it('names the layer whose input is too small', () => {
    const spec = parseModelSpec({
      layers: [
        { type: 'conv2d', filters: 1, kernelSize: 5 },
        { type: 'conv2d', filters: 1, kernelSize: 30 },
        { type: 'flatten' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      loss: 'categoricalCrossentropy',
    });
    assert.throws(() => checkModel(spec, [28, 28, 1], target, 1e9), /model\.layers\[1\]: output shape \[-5,-5,1\] is empty/);
  });
});
