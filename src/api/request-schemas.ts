/**
 * JSON Schema of the parts of a request that the parsers in spec/ check — datasets, layers,
 * optimizers, learning-rate schedules — generated from the parsers' own option tables, so the
 * OpenAPI document (and a client generated from it) knows every kind, option, default and range
 * without a second copy by hand.
 *
 * Each part is marked `x-checked-by`: the document shows the whole schema, but the body
 * validator (validation.ts) checks only that the part is an object and leaves the rest to its
 * parser, whose 400 names the exact field and reason (a JSON-schema validator cannot say which
 * branch of a oneOf was meant).
 */
import { Type, type TSchema } from 'typebox';
import { BUILTIN_DATASETS } from '../domain/dataset-types.ts';
import { BUILTINS } from '../domain/dataset.ts';
import { MAX_SEED } from '../domain/job.ts';
import { LAYERS, LAYER_TYPES } from '../domain/layers.ts';
import { LOSSES, MAX_LAYERS, METRICS } from '../domain/model.ts';
import type { Bounds } from '../domain/fields.ts';
import { MAX_PAIR, type OptionInfo } from '../domain/options.ts';
import { OPTIMIZER_NAMES, optimizerOptions } from '../domain/optimizer.ts';
import { SCHEDULE_OPTIONS, SCHEDULE_TYPES, WARMUP_OPTION } from '../domain/schedules.ts';

/** The keyword that marks a part checked by a parser; its value names the parser. */
export const CHECKED_BY = 'x-checked-by';

type Schema = Record<string, unknown>;

const unsafe = <T>(schema: Schema): TSchema => Type.Unsafe<T>(schema);

function numberBounds(bounds: Bounds | undefined): Schema {
  if (!bounds) return {};
  const out: Schema = {};
  if (bounds.min !== undefined) out[bounds.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = bounds.min;
  if (bounds.max !== undefined) out[bounds.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = bounds.max;
  return out;
}

const positive = { type: 'integer', minimum: 1, maximum: MAX_PAIR };

/** The JSON Schema of one option table entry. */
export function optionSchema(info: OptionInfo): Schema {
  const common: Schema = { description: info.description };
  switch (info.kind) {
    case 'integer':
    case 'number':
      return { type: info.kind, ...numberBounds(info.bounds), ...common, ...(info.default === undefined ? {} : { default: info.default }) };
    case 'boolean':
      return { type: 'boolean', ...common, ...(info.default === undefined ? {} : { default: info.default }) };
    case 'choice':
      return { type: 'string', enum: [...info.choices], ...common, ...(info.default === undefined ? {} : { default: info.default }) };
    case 'pair':
      return {
        oneOf: [positive, { type: 'array', items: positive, minItems: 2, maxItems: 2 }],
        ...common,
        ...(info.default === undefined ? {} : { default: info.default }),
      };
    case 'shape':
      return {
        type: 'array',
        minItems: 1,
        maxItems: 4,
        items: { type: 'integer', oneOf: [{ minimum: 1 }, { enum: [-1] }] },
        ...common,
      };
    case 'numbers':
      return { type: 'array', minItems: 1, items: { type: 'number', ...numberBounds(info.bounds) }, ...common };
    case 'learningRate':
      return {
        oneOf: [{ type: 'number', minimum: 0 }, ScheduleSchema],
        ...common,
        ...(info.default === undefined ? {} : { default: info.default }),
      };
  }
}

/** An object with a discriminating key `key: value` and the options of `table`. */
function variant(key: string, value: string, table: Readonly<Record<string, OptionInfo>>, description: string): Schema {
  const properties: Schema = { [key]: { type: 'string', enum: [value] } };
  const required = [key];
  for (const [name, info] of Object.entries(table)) {
    properties[name] = optionSchema(info);
    if (info.required) required.push(name);
  }
  return { type: 'object', title: value, description, properties, required, additionalProperties: false };
}

const oneOf = (key: string, variants: Schema[], extra: Schema): Schema => ({
  type: 'object',
  oneOf: variants,
  discriminator: { propertyName: key },
  ...extra,
});

const ScheduleSchema: Schema = oneOf(
  'type',
  SCHEDULE_TYPES.map((type) => variant('type', type, { ...SCHEDULE_OPTIONS[type], warmupSteps: WARMUP_OPTION }, `${type} schedule`)),
  {
    description: 'a learning-rate schedule, by `type`',
  },
);

export const OptimizerSchema = unsafe<Record<string, unknown>>(
  oneOf(
    'name',
    OPTIMIZER_NAMES.map((name) => variant('name', name, optimizerOptions(name), `${name} optimizer (Keras 3 defaults)`)),
    {
      description: "the optimizer, by `name`; options in Keras 3's names, camelCase",
      examples: [{ name: 'adam', learningRate: 0.01 }],
      [CHECKED_BY]: 'parseOptimizerSpec',
    },
  ),
);

const Uploaded: Schema = {
  type: 'object',
  title: 'uploaded',
  description: 'a dataset uploaded with POST /v1/datasets',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'the uploaded dataset' },
    samples: { type: 'integer', minimum: 1, description: 'use its first rows only (default: all)' },
  },
  required: ['id'],
  additionalProperties: false,
};

export const DatasetSchema = unsafe<Record<string, unknown>>({
  type: 'object',
  oneOf: [...BUILTIN_DATASETS.map((name) => variant('builtin', name, BUILTINS[name].options, BUILTINS[name].description)), Uploaded],
  description: 'a builtin dataset `{ builtin, ...options }` or an uploaded one `{ id, samples? }`',
  examples: [{ builtin: 'iris' }],
  [CHECKED_BY]: 'parseDatasetSpec',
});

export const LayerSchema: Schema = oneOf(
  'type',
  LAYER_TYPES.map((type) => variant('type', type, LAYERS[type].options, LAYERS[type].description)),
  {
    description: 'a layer, by `type`',
  },
);

export const ModelSchema = unsafe<Record<string, unknown>>({
  type: 'object',
  properties: {
    layers: {
      type: 'array',
      items: LayerSchema,
      minItems: 1,
      maxItems: MAX_LAYERS,
      description: "a sequential stack; the first takes the dataset's example shape",
    },
    loss: { type: 'string', enum: [...LOSSES] },
    metrics: { type: 'array', items: { type: 'string', enum: [...METRICS] }, default: [] },
  },
  required: ['layers', 'loss'],
  additionalProperties: false,
  examples: [
    {
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    },
  ],
  [CHECKED_BY]: 'parseModelSpec',
});

export const TrainingSchema = unsafe<Record<string, unknown>>({
  type: 'object',
  properties: {
    epochs: { type: 'integer', minimum: 1, description: 'at most MAX_EPOCHS of the server' },
    batchSize: { type: 'integer', minimum: 1, description: 'at most MAX_BATCH_SIZE of the server' },
    validationSplit: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0,
      description: 'fraction held out (the last examples after the seeded shuffle)',
    },
    shuffle: { type: 'boolean', default: true, description: 'shuffle before the split and every epoch' },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_SEED,
      description: 'seed of weights, shuffles, dropout and generated data; drawn when absent',
    },
  },
  required: ['epochs', 'batchSize'],
  additionalProperties: false,
  examples: [{ epochs: 20, batchSize: 16, validationSplit: 0.2 }],
  [CHECKED_BY]: 'parseTrainingSpec',
});

export const InitFromSchema = unsafe<Record<string, unknown>>({
  type: 'object',
  oneOf: [
    {
      type: 'object',
      title: 'job',
      description: 'a succeeded job: its weights (and optimizer state); its epochs, steps and seed continue',
      properties: { jobId: { type: 'string', format: 'uuid' }, optimizerState: { type: 'boolean', default: false } },
      required: ['jobId'],
      additionalProperties: false,
    },
    {
      type: 'object',
      title: 'model',
      description: 'an uploaded model (POST /v1/models)',
      properties: { modelId: { type: 'string', format: 'uuid' } },
      required: ['modelId'],
      additionalProperties: false,
    },
  ],
  examples: [{ jobId: '3f0c9a52-6a39-4c8e-9d7e-2b8f1f0d6c11', optimizerState: true }],
  [CHECKED_BY]: 'parseInitFrom',
});

/**
 * The schema a body is validated with: every part marked CHECKED_BY becomes "an object",
 * which is what the API checked before these parts were described in full.
 */
export function forValidation<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(forValidation) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  if (CHECKED_BY in schema) return { type: 'object' } as T;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = forValidation(value);
  return out as T;
}

/** A job without its optimizer (comparisons and the learning-rate finder supply one per variant). */
export const JobBaseSchema = unsafe<Record<string, unknown>>({
  type: 'object',
  properties: {
    dataset: DatasetSchema,
    model: ModelSchema,
    optimizer: OptimizerSchema,
    training: TrainingSchema,
    initFrom: InitFromSchema,
  },
  required: ['dataset', 'model', 'training'],
  additionalProperties: false,
  [CHECKED_BY]: 'parseJobSpec',
});
