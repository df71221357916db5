/**
 * Builds a tf.Sequential from a parsed model spec. Layers get stable names (l0_dense, …) so
 * saved weights and optimizer state are keyed the same way in every process, and seeded
 * initializers so the same seed gives the same starting weights.
 */
import * as tf from '@tensorflow/tfjs';
import { LAYER_BUILDERS, type BuildContext, type Layer } from './layers.ts';
import { deriveSeed } from './random.ts';
import type { Initializer, LayerSpec, ModelSpec } from '../domain/model.ts';

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
  const kernelSeed = deriveSeed(seed, 1, index);
  const ctx: BuildContext = {
    common: { name: layerName(index, spec.type), ...(inputShape ? { inputShape } : {}) },
    kernelInitializer: (name) => INITIALIZERS[name](kernelSeed),
  };
  // The table is keyed by type, so the builder takes this very spec.
  const build = LAYER_BUILDERS[spec.type] as (spec: LayerSpec, ctx: BuildContext) => Layer;
  return build(spec, ctx);
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
