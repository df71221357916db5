/**
 * Builds a tf.Sequential from a parsed model spec. Layers get stable names (l0_dense, …) so
 * saved weights and optimizer state are keyed the same way in every process, and seeded
 * initializers so the same seed gives the same starting weights.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from './random.ts';
import type { Initializer, LayerSpec, ModelSpec } from '../spec/model.ts';

type Layer = Parameters<tf.Sequential['add']>[0];

const INITIALIZERS: Record<Initializer, (seed: number) => ReturnType<typeof tf.initializers.glorotUniform>> = {
  glorotUniform: (seed) => tf.initializers.glorotUniform({ seed }),
  glorotNormal: (seed) => tf.initializers.glorotNormal({ seed }),
  heUniform: (seed) => tf.initializers.heUniform({ seed }),
  heNormal: (seed) => tf.initializers.heNormal({ seed }),
  leCunUniform: (seed) => tf.initializers.leCunUniform({ seed }),
  leCunNormal: (seed) => tf.initializers.leCunNormal({ seed }),
};

/** The name of layer i; weights are saved as `${name}/kernel`, `${name}/bias`, … */
export function layerName(index: number, type: LayerSpec['type']): string {
  return `l${index}_${type}`;
}

function buildLayer(spec: LayerSpec, index: number, seed: number, inputShape?: number[]): Layer {
  const common = { name: layerName(index, spec.type), ...(inputShape ? { inputShape } : {}) };
  const kernelSeed = deriveSeed(seed, 1, index);
  switch (spec.type) {
    case 'dense':
      return tf.layers.dense({
        ...common, units: spec.units, activation: spec.activation, useBias: spec.useBias,
        kernelInitializer: INITIALIZERS[spec.kernelInitializer](kernelSeed),
      });
    case 'dropout':
      // The seed is set again before every step (see setDropoutSeeds): a fixed seed would drop
      // the same units at every step.
      return tf.layers.dropout({ ...common, rate: spec.rate });
    case 'flatten':
      return tf.layers.flatten(common);
    case 'reshape':
      return tf.layers.reshape({ ...common, targetShape: spec.targetShape });
    case 'conv2d':
      return tf.layers.conv2d({
        ...common, filters: spec.filters, kernelSize: spec.kernelSize, strides: spec.strides, padding: spec.padding,
        dilationRate: spec.dilationRate, activation: spec.activation, useBias: spec.useBias,
        kernelInitializer: INITIALIZERS[spec.kernelInitializer](kernelSeed),
      });
    case 'maxPooling2d':
      return tf.layers.maxPooling2d({ ...common, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding });
    case 'averagePooling2d':
      return tf.layers.averagePooling2d({ ...common, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding });
    case 'batchNormalization':
      return tf.layers.batchNormalization({ ...common, momentum: spec.momentum, epsilon: spec.epsilon, center: spec.center, scale: spec.scale });
  }
}

export function buildModel(spec: ModelSpec, inputShape: number[], seed: number): tf.Sequential {
  const model = tf.sequential();
  spec.layers.forEach((layer, i) => model.add(buildLayer(layer, i, seed, i === 0 ? inputShape : undefined)));
  return model;
}

/** Gives every dropout layer a seed of its own for this step: reproducible, and new each step. */
export function setDropoutSeeds(model: tf.Sequential, seed: number, step: number): void {
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed: number }).seed = deriveSeed(seed, 2, i, step);
  });
}
