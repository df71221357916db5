/**
 * Parsing of `model` in a job request, with the shape of every layer worked out by hand:
 * the API checks a model against its dataset (shapes, loss, parameter count) without
 * importing TensorFlow.js. The formulas are those of tf.layers (valid/same padding,
 * strides, dilation), so a model that passes here builds there.
 */
import { invalid } from '../errors.ts';
import type { Target } from './dataset-types.ts';
import {
  describe, readBoolean, readChoice, readNumber, readPair, rejectUnknown, requireNumber, requireObject, type Json,
} from './fields.ts';

export const ACTIVATIONS = [
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'tanh',
  'softmax', 'softplus', 'softsign', 'swish', 'mish', 'gelu',
] as const;
export const INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'leCunUniform', 'leCunNormal'] as const;
export const LOSSES = ['meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const;
export const METRICS = ['accuracy'] as const;
export const LAYER_TYPES = ['dense', 'dropout', 'flatten', 'reshape', 'conv2d', 'maxPooling2d', 'averagePooling2d', 'batchNormalization'] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type Initializer = (typeof INITIALIZERS)[number];
export type Loss = (typeof LOSSES)[number];
export type Padding = 'valid' | 'same';
type Pair = [number, number];

export type LayerSpec =
  | { type: 'dense'; units: number; activation: Activation; useBias: boolean; kernelInitializer: Initializer }
  | { type: 'dropout'; rate: number }
  | { type: 'flatten' }
  | { type: 'reshape'; targetShape: number[] }
  | {
      type: 'conv2d'; filters: number; kernelSize: Pair; strides: Pair; padding: Padding; dilationRate: Pair;
      activation: Activation; useBias: boolean; kernelInitializer: Initializer;
    }
  | { type: 'maxPooling2d' | 'averagePooling2d'; poolSize: Pair; strides: Pair; padding: Padding }
  | { type: 'batchNormalization'; momentum: number; epsilon: number; center: boolean; scale: boolean };

export interface ModelSpec {
  layers: LayerSpec[];
  loss: Loss;
  metrics: Array<(typeof METRICS)[number]>;
}

/** What the shape check found: every layer's output shape and the parameter count. */
export interface ModelSummary {
  outputShapes: number[][];
  parameters: number;
}

export const MAX_LAYERS = 64;

const LAYER_OPTIONS: Record<LayerSpec['type'], readonly string[]> = {
  dense: ['units', 'activation', 'useBias', 'kernelInitializer'],
  dropout: ['rate'],
  flatten: [],
  reshape: ['targetShape'],
  conv2d: ['filters', 'kernelSize', 'strides', 'padding', 'dilationRate', 'activation', 'useBias', 'kernelInitializer'],
  maxPooling2d: ['poolSize', 'strides', 'padding'],
  averagePooling2d: ['poolSize', 'strides', 'padding'],
  batchNormalization: ['momentum', 'epsilon', 'center', 'scale'],
};

export function parseModelSpec(input: unknown, path = 'model'): ModelSpec {
  const obj = requireObject(input, path);
  rejectUnknown(obj, ['layers', 'loss', 'metrics'], path, 'field');
  const layers = obj.layers;
  if (!Array.isArray(layers) || layers.length === 0) invalid(`${path}.layers`, `must be a non-empty array of layers, got ${describe(layers)}`);
  if (layers.length > MAX_LAYERS) invalid(`${path}.layers`, `at most ${MAX_LAYERS} layers, got ${layers.length}`);
  const loss = readChoice(obj, 'loss', path, LOSSES);
  if (loss === undefined) invalid(`${path}.loss`, `is required; one of ${LOSSES.join(', ')}`);
  const metrics = obj.metrics ?? [];
  if (!Array.isArray(metrics) || metrics.some((m) => !(METRICS as readonly unknown[]).includes(m))) {
    invalid(`${path}.metrics`, `must be an array of ${METRICS.join(', ')}; got ${JSON.stringify(metrics)}`);
  }
  return {
    layers: layers.map((layer, i) => parseLayer(layer, `${path}.layers[${i}]`)),
    loss,
    metrics: [...new Set(metrics as ModelSpec['metrics'])],
  };
}

function parseLayer(input: unknown, path: string): LayerSpec {
  const obj = requireObject(input, path);
  const type = obj.type;
  if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) {
    invalid(`${path}.type`, `unknown layer type ${describe(type)}; supported: ${LAYER_TYPES.join(', ')}`);
  }
  const t = type as LayerSpec['type'];
  rejectUnknown(obj, ['type', ...LAYER_OPTIONS[t]], path);
  const activation = () => readChoice(obj, 'activation', path, ACTIVATIONS) ?? 'linear';
  const initializer = () => readChoice(obj, 'kernelInitializer', path, INITIALIZERS) ?? 'glorotUniform';
  const padding = () => readChoice(obj, 'padding', path, ['valid', 'same'] as const) ?? 'valid';
  switch (t) {
    case 'dense':
      return {
        type: t, units: requireNumber(obj, 'units', path, { min: 1, max: 65536, integer: true }),
        activation: activation(), useBias: readBoolean(obj, 'useBias', path) ?? true, kernelInitializer: initializer(),
      };
    case 'dropout':
      return { type: t, rate: requireNumber(obj, 'rate', path, { min: 0, max: 1, exclusiveMax: true }) };
    case 'flatten':
      return { type: t };
    case 'reshape': {
      const shape = obj.targetShape;
      const ok = Array.isArray(shape) && shape.length >= 1 && shape.length <= 4
        && shape.every((d) => Number.isInteger(d) && (d >= 1 || d === -1))
        && shape.filter((d) => d === -1).length <= 1;
      if (!ok) invalid(`${path}.targetShape`, `must be 1 to 4 positive integers (one may be -1), got ${JSON.stringify(shape)}`);
      return { type: t, targetShape: shape as number[] };
    }
    case 'conv2d': {
      const kernelSize = readPair(obj, 'kernelSize', path);
      if (!kernelSize) invalid(`${path}.kernelSize`, 'is required');
      const dilationRate = readPair(obj, 'dilationRate', path) ?? [1, 1];
      if (dilationRate.some((d) => d > 1)) {
        invalid(`${path}.dilationRate`, 'TensorFlow.js cannot compute the gradient of a dilated convolution (on any backend), so it cannot be trained; use 1');
      }
      return {
        type: t, filters: requireNumber(obj, 'filters', path, { min: 1, max: 4096, integer: true }), kernelSize,
        strides: readPair(obj, 'strides', path) ?? [1, 1], padding: padding(), dilationRate,
        activation: activation(), useBias: readBoolean(obj, 'useBias', path) ?? true, kernelInitializer: initializer(),
      };
    }
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const poolSize = readPair(obj, 'poolSize', path) ?? [2, 2];
      return { type: t, poolSize, strides: readPair(obj, 'strides', path) ?? poolSize, padding: padding() };
    }
    case 'batchNormalization':
      return {
        type: t,
        momentum: readNumber(obj, 'momentum', path, { min: 0, max: 1 }) ?? 0.99,
        epsilon: readNumber(obj, 'epsilon', path, { min: 0, exclusiveMin: true }) ?? 1e-3,
        center: readBoolean(obj, 'center', path) ?? true,
        scale: readBoolean(obj, 'scale', path) ?? true,
      };
  }
}

/** tf.layers' output length of a convolution or pooling along one axis. */
function convLength(length: number, size: number, stride: number, padding: Padding, dilation = 1): number {
  const dilated = size + (size - 1) * (dilation - 1);
  const out = padding === 'same' ? length : length - dilated + 1;
  return Math.floor((out + stride - 1) / stride);
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Walks the layers from the dataset's example shape, checking each layer accepts its input,
 * that the output fits the dataset's target under the loss, and the parameter limit.
 */
export function checkModel(model: ModelSpec, inputShape: number[], target: Target, maxParameters: number, path = 'model'): ModelSummary {
  let shape = inputShape;
  let parameters = 0;
  const outputShapes: number[][] = [];
  model.layers.forEach((layer, i) => {
    const at = `${path}.layers[${i}]`;
    const needRank3 = () => {
      if (shape.length !== 3) {
        invalid(at, `${layer.type} needs an input of shape [height, width, channels], got [${shape}]; the dataset's examples have shape [${inputShape}] (add a reshape layer)`);
      }
    };
    switch (layer.type) {
      case 'dense':
        parameters += shape[shape.length - 1] * layer.units + (layer.useBias ? layer.units : 0);
        shape = [...shape.slice(0, -1), layer.units];
        break;
      case 'dropout':
        break;
      case 'flatten':
        shape = [product(shape)];
        break;
      case 'reshape': {
        const known = product(layer.targetShape.filter((d) => d !== -1));
        const total = product(shape);
        const target = layer.targetShape.map((d) => (d === -1 ? total / known : d));
        if (product(target) !== total || !target.every(Number.isInteger)) {
          invalid(`${at}.targetShape`, `cannot reshape [${shape}] (${total} values) into [${layer.targetShape}]`);
        }
        shape = target;
        break;
      }
      case 'conv2d': {
        needRank3();
        const [h, w, c] = shape;
        const [kh, kw] = layer.kernelSize;
        parameters += kh * kw * c * layer.filters + (layer.useBias ? layer.filters : 0);
        shape = [
          convLength(h, kh, layer.strides[0], layer.padding, layer.dilationRate[0]),
          convLength(w, kw, layer.strides[1], layer.padding, layer.dilationRate[1]),
          layer.filters,
        ];
        break;
      }
      case 'maxPooling2d':
      case 'averagePooling2d': {
        needRank3();
        const [h, w, c] = shape;
        shape = [
          convLength(h, layer.poolSize[0], layer.strides[0], layer.padding),
          convLength(w, layer.poolSize[1], layer.strides[1], layer.padding),
          c,
        ];
        break;
      }
      case 'batchNormalization':
        // gamma and beta are trained; the moving mean and variance are parameters too.
        parameters += shape[shape.length - 1] * (2 + Number(layer.center) + Number(layer.scale));
        break;
    }
    if (shape.some((d) => d < 1)) invalid(at, `output shape [${shape}] is empty: the input [${outputShapes[i - 1] ?? inputShape}] is too small for this layer`);
    outputShapes.push(shape);
  });
  if (parameters > maxParameters) {
    invalid(`${path}.layers`, `the model has ${parameters} parameters, over the limit of ${maxParameters}`);
  }
  checkOutput(model, shape, target, path);
  return { outputShapes, parameters };
}

/**
 * The model with every reshape's -1 replaced by the size it stands for: tf.layers leaves that
 * dimension unknown, and a dense layer after it then fails to build.
 */
export function resolveReshapes(model: ModelSpec, summary: ModelSummary): ModelSpec {
  return {
    ...model,
    layers: model.layers.map((layer, i) => (layer.type === 'reshape' ? { ...layer, targetShape: summary.outputShapes[i] } : layer)),
  };
}

/** The last layer must produce what the loss compares with the dataset's targets. */
function checkOutput(model: ModelSpec, shape: number[], target: Target, path: string): void {
  const last = model.layers.length - 1;
  const lastLayer = model.layers[last];
  const lastAt = `${path}.layers[${last}]`;
  const { loss } = model;
  let expected: number[][];
  if (target.kind === 'regression') {
    if (loss !== 'meanSquaredError') invalid(`${path}.loss`, `${loss} needs a classification dataset; this dataset is a regression with ${target.dims} output(s): use meanSquaredError`);
    if (model.metrics.includes('accuracy')) invalid(`${path}.metrics`, 'accuracy needs a classification dataset');
    expected = [[target.dims]];
  } else {
    const k = target.classes;
    expected = (loss === 'binaryCrossentropy' || loss === 'meanSquaredError') && k === 2 ? [[1], [2]] : [[k]];
    if (loss === 'binaryCrossentropy' && k > 2) expected = [[k]];
  }
  if (!expected.some((e) => e.length === shape.length && e.every((d, i) => d === shape[i]))) {
    const want = expected.map((e) => `[${e}]`).join(' or ');
    invalid(lastAt, `the model's output has shape [${shape}] but ${loss} on this dataset needs ${want} (one value per ${target.kind === 'classes' ? 'class' : 'target'})`);
  }
  const activation = 'activation' in lastLayer ? lastLayer.activation : undefined;
  // One output: the probability of class 1 (softmax over one unit is always 1). Several: one per class.
  const probabilities = loss !== 'binaryCrossentropy' ? ['softmax'] : shape[0] === 1 ? ['sigmoid'] : ['sigmoid', 'softmax'];
  if (loss.endsWith('Crossentropy') && (activation === undefined || !probabilities.includes(activation))) {
    invalid(`${lastAt}.activation`, `${loss} compares probabilities: the last layer needs activation ${probabilities.join(' or ')}, got ${activation ?? `a ${lastLayer.type} layer`}`);
  }
}

export type { Json };
