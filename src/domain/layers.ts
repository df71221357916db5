/**
 * The layer table: one entry per layer type with everything the pure side knows about it —
 * its options (kind, range, default, meaning), how they are read, its output shape, its
 * weights and whether its output takes activation memory. The engine's builders
 * (engine/layers.ts) are the other half. Both are mapped types over `LayerOptions`, so a layer
 * type added there without every piece here and there does not compile.
 */
import { invalid } from '../errors.ts';
import type { OptionInfo } from './options.ts';

export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
] as const;
export const INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'leCunUniform', 'leCunNormal'] as const;
export const PADDINGS = ['valid', 'same'] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type Initializer = (typeof INITIALIZERS)[number];
export type Padding = (typeof PADDINGS)[number];
type Pair = [number, number];

interface Pooling {
  poolSize: Pair;
  strides: Pair;
  padding: Padding;
}

/** The options of each layer type, defaults filled in: the one list of layer types. */
export interface LayerOptions {
  dense: { units: number; activation: Activation; useBias: boolean; kernelInitializer: Initializer };
  dropout: { rate: number };
  flatten: Record<never, never>;
  reshape: { targetShape: number[] };
  conv2d: {
    filters: number;
    kernelSize: Pair;
    strides: Pair;
    padding: Padding;
    dilationRate: Pair;
    activation: Activation;
    useBias: boolean;
    kernelInitializer: Initializer;
  };
  maxPooling2d: Pooling;
  averagePooling2d: Pooling;
  batchNormalization: { momentum: number; epsilon: number; center: boolean; scale: boolean };
}

export type LayerType = keyof LayerOptions;
export type LayerOf<T extends LayerType> = { type: T } & LayerOptions[T];
export type LayerSpec = { [T in LayerType]: LayerOf<T> }[LayerType];

/** Reads option `key` of the layer being parsed as its table entry says (range, default, required). */
export type OptionReader<O> = <K extends keyof O & string>(key: K) => O[K];

export interface LayerWeight {
  /** kernel, bias, gamma, beta, moving_mean, moving_variance */
  role: string;
  shape: number[];
}

export interface LayerDescriptor<T extends LayerType> {
  description: string;
  /** Every option, in the order an "unknown option" error lists them. */
  options: { readonly [K in keyof LayerOptions[T]]-?: OptionInfo };
  /**
   * The parsed options. `read` applies the table; `optional` reads an option that has no fixed
   * default (undefined when absent). Reads run in this order, so the first error is this one's.
   */
  parse(read: OptionReader<LayerOptions[T]>, optional: OptionReader<Partial<LayerOptions[T]>>, path: string): LayerOptions[T];
  /** The output shape for `input` (tf.layers' formulas); throws a 400 on `at` when it does not fit. */
  outputShape(layer: LayerOf<T>, input: number[], at: string, datasetShape: number[]): number[];
  /** Its weights in tf.layers' order (the order of model.weights); the parameter count is their size. */
  weights(layer: LayerOf<T>, input: number[]): LayerWeight[];
  /** False when the output only relabels the input's buffer (flatten, reshape): no activation memory. */
  keepsOutput: boolean;
}

type Descriptors = { readonly [T in LayerType]: LayerDescriptor<T> };

const activation = {
  kind: 'choice',
  choices: ACTIVATIONS,
  default: 'linear',
  description: 'activation applied to the output',
} as const satisfies OptionInfo;
const useBias = { kind: 'boolean', default: true, description: 'add a trained bias' } as const satisfies OptionInfo;
const kernelInitializer = {
  kind: 'choice',
  choices: INITIALIZERS,
  default: 'glorotUniform',
  description: 'how the kernel starts (seeded by training.seed)',
} as const satisfies OptionInfo;
const padding = {
  kind: 'choice',
  choices: PADDINGS,
  default: 'valid',
  description: 'valid: no padding; same: pad so that output = ceil(input / stride)',
} as const satisfies OptionInfo;

const channels = (input: number[]) => input[input.length - 1];

/** tf.layers' output length of a convolution or pooling along one axis. */
function convLength(length: number, size: number, stride: number, pad: Padding, dilation = 1): number {
  const dilated = size + (size - 1) * (dilation - 1);
  const out = pad === 'same' ? length : length - dilated + 1;
  return Math.floor((out + stride - 1) / stride);
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function needRank3(type: LayerType, input: number[], at: string, datasetShape: number[]): void {
  if (input.length !== 3) {
    invalid(
      at,
      `${type} needs an input of shape [height, width, channels], got [${input}]; the dataset's examples have shape ` +
        `[${datasetShape}] (add a reshape layer)`,
    );
  }
}

function pooling(kind: 'max' | 'average'): LayerDescriptor<'maxPooling2d' | 'averagePooling2d'> {
  return {
    description: `${kind} over each poolSize window of every channel`,
    options: {
      poolSize: { kind: 'pair', default: [2, 2], description: 'window height and width (one number for both)' },
      strides: { kind: 'pair', description: 'step between windows; defaults to poolSize' },
      padding,
    },
    parse: (read, optional) => {
      const poolSize = read('poolSize');
      return { poolSize, strides: optional('strides') ?? poolSize, padding: read('padding') };
    },
    outputShape: (layer, input, at, datasetShape) => {
      needRank3(layer.type, input, at, datasetShape);
      const [h, w, c] = input;
      return [
        convLength(h, layer.poolSize[0], layer.strides[0], layer.padding),
        convLength(w, layer.poolSize[1], layer.strides[1], layer.padding),
        c,
      ];
    },
    weights: () => [],
    keepsOutput: true,
  };
}

export const LAYERS: Descriptors = {
  dense: {
    description: 'fully connected: output = activation(input · kernel + bias) over the last axis',
    options: {
      units: { kind: 'integer', bounds: { min: 1, max: 65536 }, required: true, description: 'output size' },
      activation,
      useBias,
      kernelInitializer,
    },
    parse: (read) => ({
      units: read('units'),
      activation: read('activation'),
      useBias: read('useBias'),
      kernelInitializer: read('kernelInitializer'),
    }),
    outputShape: (layer, input) => [...input.slice(0, -1), layer.units],
    weights: (layer, input) => [
      { role: 'kernel', shape: [channels(input), layer.units] },
      ...(layer.useBias ? [{ role: 'bias', shape: [layer.units] }] : []),
    ],
    keepsOutput: true,
  },
  dropout: {
    description: 'sets a random fraction of the inputs to 0 while training (seeded, new each step)',
    options: { rate: { kind: 'number', bounds: { min: 0, max: 1, exclusiveMax: true }, required: true, description: 'fraction dropped' } },
    parse: (read) => ({ rate: read('rate') }),
    outputShape: (_layer, input) => input,
    weights: () => [],
    keepsOutput: true,
  },
  flatten: {
    description: 'one axis of all the input values',
    options: {},
    parse: () => ({}),
    outputShape: (_layer, input) => [product(input)],
    weights: () => [],
    keepsOutput: false,
  },
  reshape: {
    description: 'the same values in another shape',
    options: { targetShape: { kind: 'shape', required: true, description: '1 to 4 positive integers; one may be -1 (whatever is left)' } },
    parse: (read) => ({ targetShape: read('targetShape') }),
    outputShape: (layer, input, at) => {
      const known = product(layer.targetShape.filter((d) => d !== -1));
      const total = product(input);
      const target = layer.targetShape.map((d) => (d === -1 ? total / known : d));
      if (product(target) !== total || !target.every(Number.isInteger)) {
        invalid(`${at}.targetShape`, `cannot reshape [${input}] (${total} values) into [${layer.targetShape}]`);
      }
      return target;
    },
    weights: () => [],
    keepsOutput: false,
  },
  conv2d: {
    description: '2-D convolution over [height, width, channels] inputs',
    options: {
      filters: { kind: 'integer', bounds: { min: 1, max: 4096 }, required: true, description: 'output channels' },
      kernelSize: { kind: 'pair', required: true, description: 'kernel height and width (one number for both)' },
      strides: { kind: 'pair', default: [1, 1], description: 'step of the kernel' },
      padding,
      dilationRate: { kind: 'pair', default: [1, 1], description: 'only 1: TensorFlow.js has no gradient for dilated convolutions' },
      activation,
      useBias,
      kernelInitializer,
    },
    parse: (read, _optional, path) => {
      const kernelSize = read('kernelSize');
      const dilationRate = read('dilationRate');
      if (dilationRate.some((d) => d > 1)) {
        invalid(
          `${path}.dilationRate`,
          'TensorFlow.js cannot compute the gradient of a dilated convolution (on any backend), so it cannot be trained; use 1',
        );
      }
      return {
        filters: read('filters'),
        kernelSize,
        strides: read('strides'),
        padding: read('padding'),
        dilationRate,
        activation: read('activation'),
        useBias: read('useBias'),
        kernelInitializer: read('kernelInitializer'),
      };
    },
    outputShape: (layer, input, at, datasetShape) => {
      needRank3(layer.type, input, at, datasetShape);
      const [h, w] = input;
      const [kh, kw] = layer.kernelSize;
      return [
        convLength(h, kh, layer.strides[0], layer.padding, layer.dilationRate[0]),
        convLength(w, kw, layer.strides[1], layer.padding, layer.dilationRate[1]),
        layer.filters,
      ];
    },
    weights: (layer, input) => [
      { role: 'kernel', shape: [...layer.kernelSize, channels(input), layer.filters] },
      ...(layer.useBias ? [{ role: 'bias', shape: [layer.filters] }] : []),
    ],
    keepsOutput: true,
  },
  maxPooling2d: pooling('max'),
  averagePooling2d: pooling('average'),
  batchNormalization: {
    description: 'normalizes each channel by its batch statistics, then scales (gamma) and shifts (beta)',
    options: {
      momentum: { kind: 'number', bounds: { min: 0, max: 1 }, default: 0.99, description: 'weight of the old moving mean and variance' },
      epsilon: { kind: 'number', bounds: { min: 0, exclusiveMin: true }, default: 1e-3, description: 'added to the variance' },
      center: { kind: 'boolean', default: true, description: 'learn a shift (beta)' },
      scale: { kind: 'boolean', default: true, description: 'learn a scale (gamma)' },
    },
    parse: (read) => ({ momentum: read('momentum'), epsilon: read('epsilon'), center: read('center'), scale: read('scale') }),
    outputShape: (_layer, input) => input,
    // gamma and beta are trained; the moving mean and variance are weights (and parameters) too.
    weights: (layer, input) => [
      ...(layer.scale ? [{ role: 'gamma', shape: [channels(input)] }] : []),
      ...(layer.center ? [{ role: 'beta', shape: [channels(input)] }] : []),
      { role: 'moving_mean', shape: [channels(input)] },
      { role: 'moving_variance', shape: [channels(input)] },
    ],
    keepsOutput: true,
  },
};

export const LAYER_TYPES = Object.keys(LAYERS) as LayerType[];

/** The descriptor of `type`, typed for any layer (the table's entries are typed by their key). */
export function layerDescriptor(type: LayerType): LayerDescriptor<LayerType> {
  return LAYERS[type] as LayerDescriptor<LayerType>;
}
