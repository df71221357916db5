/**
 * The engine half of the layer table (spec/layers.ts): how each layer type becomes a tf layer.
 * Keyed by every LayerType, so a layer type without a builder does not compile.
 */
import * as tf from '@tensorflow/tfjs';
import type { Initializer, LayerOf, LayerType } from '../domain/layers.ts';

export type Layer = Parameters<tf.Sequential['add']>[0];
type Init = ReturnType<typeof tf.initializers.glorotUniform>;

/** What every layer gets: its stable name, the input shape (first layer only), its kernel's seed. */
export interface BuildContext {
  common: { name: string; inputShape?: number[] };
  kernelInitializer: (name: Initializer) => Init;
}

type Builders = { readonly [T in LayerType]: (spec: LayerOf<T>, ctx: BuildContext) => Layer };

export const LAYER_BUILDERS: Builders = {
  dense: (spec, { common, kernelInitializer }) =>
    tf.layers.dense({
      ...common,
      units: spec.units,
      activation: spec.activation,
      useBias: spec.useBias,
      kernelInitializer: kernelInitializer(spec.kernelInitializer),
    }),
  // The seed is set again before every step (see setDropoutSeeds): a fixed seed would drop the
  // same units at every step.
  dropout: (spec, { common }) => tf.layers.dropout({ ...common, rate: spec.rate }),
  flatten: (_spec, { common }) => tf.layers.flatten(common),
  reshape: (spec, { common }) => tf.layers.reshape({ ...common, targetShape: spec.targetShape }),
  conv2d: (spec, { common, kernelInitializer }) =>
    tf.layers.conv2d({
      ...common,
      filters: spec.filters,
      kernelSize: spec.kernelSize,
      strides: spec.strides,
      padding: spec.padding,
      dilationRate: spec.dilationRate,
      activation: spec.activation,
      useBias: spec.useBias,
      kernelInitializer: kernelInitializer(spec.kernelInitializer),
    }),
  maxPooling2d: (spec, { common }) =>
    tf.layers.maxPooling2d({ ...common, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding }),
  averagePooling2d: (spec, { common }) =>
    tf.layers.averagePooling2d({ ...common, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding }),
  batchNormalization: (spec, { common }) =>
    tf.layers.batchNormalization({
      ...common,
      momentum: spec.momentum,
      epsilon: spec.epsilon,
      center: spec.center,
      scale: spec.scale,
    }),
};
