/**
 * The weights a model spec will have, in tf.layers' order (the order of model.weights and of
 * a saved weight manifest), worked out without TensorFlow.js, and the check that weights from
 * elsewhere (an earlier job, an uploaded model) fit them one by one.
 */
import { invalid } from '../errors.ts';
import { layerDescriptor } from './layers.ts';
import type { ModelSpec, ModelSummary } from './model.ts';

export interface WeightShape {
  /** Index of the layer in model.layers. */
  layer: number;
  /** The layer's weight: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  role: string;
  shape: number[];
}

export function expectedWeights(model: ModelSpec, summary: ModelSummary, inputShape: number[]): WeightShape[] {
  const weights: WeightShape[] = [];
  model.layers.forEach((layer, i) => {
    const input = i === 0 ? inputShape : summary.outputShapes[i - 1];
    for (const { role, shape } of layerDescriptor(layer.type).weights(layer, input)) weights.push({ layer: i, role, shape });
  });
  return weights;
}

/**
 * Throws a 400 on `field` unless `source` has exactly the expected weights, in order and shape.
 * `source` entries are a weight manifest's (name, shape); `what` names where they come from.
 */
export function checkWeightsFit(
  expected: WeightShape[],
  source: Array<{ name: string; shape: number[] }>,
  model: ModelSpec,
  field: string,
  what: string,
): void {
  const describeLayer = (w: WeightShape) => `model.layers[${w.layer}] (${model.layers[w.layer].type})`;
  for (let i = 0; i < Math.max(expected.length, source.length); i++) {
    const want = expected[i];
    const have = source[i];
    if (!want) invalid(field, `${what} has more weights than this model: ${have.name} [${have.shape}] has no place here`);
    if (!have) invalid(field, `${what} has no weight for ${describeLayer(want)} ${want.role} [${want.shape}]`);
    if (want.shape.length !== have.shape.length || want.shape.some((d, k) => d !== have.shape[k])) {
      invalid(field, `${describeLayer(want)} ${want.role} has shape [${want.shape}] here but ${what}'s ${have.name} has [${have.shape}]`);
    }
  }
}
