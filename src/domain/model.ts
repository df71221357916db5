/**
 * Parsing of `model` in a job request, with the shape of every layer worked out by hand:
 * the API checks a model against its dataset (shapes, loss, parameter count) without
 * importing TensorFlow.js. The formulas are those of tf.layers (valid/same padding,
 * strides, dilation), so a model that passes here builds there.
 */
import { invalid } from '../errors.ts';
import type { Target } from './dataset-types.ts';
import { readChoice, rejectUnknown, requireObject, show, type Json } from './fields.ts';
import { layerDescriptor, LAYER_TYPES, type LayerOptions, type LayerSpec, type LayerType, type OptionReader } from './layers.ts';
import { readOption, type OptionInfo } from './options.ts';

export const LOSSES = ['meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const;
export const METRICS = ['accuracy'] as const;
export type Loss = (typeof LOSSES)[number];
export { ACTIVATIONS, INITIALIZERS, LAYER_TYPES, LAYERS } from './layers.ts';
export type { Activation, Initializer, LayerSpec, LayerType, Padding } from './layers.ts';

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

export function parseModelSpec(input: unknown, path = 'model'): ModelSpec {
  const obj = requireObject(input, path);
  rejectUnknown(obj, ['layers', 'loss', 'metrics'], path, 'field');
  const layers = obj.layers;
  if (!Array.isArray(layers) || layers.length === 0) invalid(`${path}.layers`, `must be a non-empty array of layers, got ${show(layers)}`);
  if (layers.length > MAX_LAYERS) invalid(`${path}.layers`, `at most ${MAX_LAYERS} layers, got ${layers.length}`);
  const loss = readChoice(obj, 'loss', path, LOSSES);
  if (loss === undefined) invalid(`${path}.loss`, `is required; one of ${LOSSES.join(', ')}`);
  const metrics = obj.metrics ?? [];
  if (!Array.isArray(metrics) || metrics.some((m) => !(METRICS as readonly unknown[]).includes(m))) {
    invalid(`${path}.metrics`, `must be an array of ${METRICS.join(', ')}; got ${show(metrics)}`);
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
    invalid(`${path}.type`, `unknown layer type ${show(type)}; supported: ${LAYER_TYPES.join(', ')}`);
  }
  const t = type as LayerType;
  const layer = layerDescriptor(t);
  const options: Readonly<Record<string, OptionInfo>> = layer.options;
  rejectUnknown(obj, ['type', ...Object.keys(options)], path, `option of layer "${t}"`);
  const read = (key: string) => readOption(obj, key, path, options[key]);
  // The reader returns what the option's table entry says, which is the option's type.
  const parsed = layer.parse(read as OptionReader<LayerOptions[LayerType]>, read as OptionReader<Partial<LayerOptions[LayerType]>>, path);
  return { type: t, ...parsed } as LayerSpec;
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
    const descriptor = layerDescriptor(layer.type);
    for (const weight of descriptor.weights(layer, shape)) parameters += product(weight.shape);
    shape = descriptor.outputShape(layer, shape, at, inputShape);
    if (shape.some((d) => d < 1))
      invalid(at, `output shape [${shape}] is empty: the input [${outputShapes[i - 1] ?? inputShape}] is too small for this layer`);
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
    if (loss !== 'meanSquaredError')
      invalid(
        `${path}.loss`,
        `${loss} needs a classification dataset; this dataset is a regression with ${target.dims} output(s): use meanSquaredError`,
      );
    if (model.metrics.includes('accuracy')) invalid(`${path}.metrics`, 'accuracy needs a classification dataset');
    expected = [[target.dims]];
  } else {
    const k = target.classes;
    expected = (loss === 'binaryCrossentropy' || loss === 'meanSquaredError') && k === 2 ? [[1], [2]] : [[k]];
    if (loss === 'binaryCrossentropy' && k > 2) expected = [[k]];
  }
  if (!expected.some((e) => e.length === shape.length && e.every((d, i) => d === shape[i]))) {
    const want = expected.map((e) => `[${e}]`).join(' or ');
    invalid(
      lastAt,
      `the model's output has shape [${shape}] but ${loss} on this dataset needs ${want} (one value per ` +
        `${target.kind === 'classes' ? 'class' : 'target'})`,
    );
  }
  const activation = 'activation' in lastLayer ? lastLayer.activation : undefined;
  // One output: the probability of class 1 (softmax over one unit is always 1). Several: one per class.
  const probabilities = loss !== 'binaryCrossentropy' ? ['softmax'] : shape[0] === 1 ? ['sigmoid'] : ['sigmoid', 'softmax'];
  if (loss.endsWith('Crossentropy') && (activation === undefined || !probabilities.includes(activation))) {
    invalid(
      `${lastAt}.activation`,
      `${loss} compares probabilities: the last layer needs activation ${probabilities.join(' or ')}, got ` +
        `${activation ?? `a ${lastLayer.type} layer`}`,
    );
  }
}

export type { Json };
