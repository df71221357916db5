/**
 * The optimizer part of a job: its types, its Keras 3 defaults and its parser.
 *
 * PURE: imports neither TensorFlow.js nor anything that does; the HTTP API validates requests
 * with `parseOptimizerSpec` and the worker builds the optimizer from the result with
 * `createOptimizer` (registry.ts).
 *
 * Input: `{ "name": "adam", "learningRate": 0.001, "beta1": 0.9, ... }`, options in Keras 3's
 * names turned camelCase (`beta_1` -> `beta1`, `clipnorm` -> `clipNorm`).
 */
import { invalid } from '../errors.ts';
import { parseLearningRate, type LearningRate } from './schedules.ts';
import type { OptionInfo } from './options.ts';
import { bool, isObject, numberIn, oneOf, rejectUnknown, show, type Bounds } from './fields.ts';

export const OPTIMIZER_NAMES = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'adadelta',
  'rmsprop',
  'adam',
  'adamw',
  'adamax',
  'nadam',
  'lion',
] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** The options each optimizer has on top of the common ones. */
export interface OptionsByName {
  sgd: { momentum: number; nesterov: boolean };
  momentum: { momentum: number; nesterov: boolean };
  /** Always Nesterov momentum; the name exists so `{ "name": "nesterov" }` is enough. */
  nesterov: { momentum: number };
  adagrad: { initialAccumulatorValue: number; epsilon: number };
  adadelta: { rho: number; epsilon: number };
  rmsprop: { rho: number; momentum: number; epsilon: number; centered: boolean };
  adam: { beta1: number; beta2: number; epsilon: number; amsgrad: boolean };
  adamw: { beta1: number; beta2: number; epsilon: number; amsgrad: boolean };
  adamax: { beta1: number; beta2: number; epsilon: number };
  nadam: { beta1: number; beta2: number; epsilon: number };
  lion: { beta1: number; beta2: number };
}

/** Options every optimizer accepts (Keras 3 BaseOptimizer). At most one clipping option. */
export interface CommonOptions {
  learningRate: LearningRate;
  /** Decoupled weight decay `w -= w * weightDecay * lr` before each update; absent = none. */
  weightDecay?: number;
  /** Rescale each gradient tensor whose L2 norm exceeds this to this norm. */
  clipNorm?: number;
  /** Rescale all gradients together when their joint L2 norm exceeds this. */
  globalClipNorm?: number;
  /** Clamp each gradient element into [-clipValue, clipValue]. */
  clipValue?: number;
}

export type SpecOf<N extends OptimizerName> = { name: N } & CommonOptions & OptionsByName[N];
export type OptimizerSpec = { [N in OptimizerName]: SpecOf<N> }[OptimizerName];

type Defaults<N extends OptimizerName> = { learningRate: number; weightDecay?: number } & OptionsByName[N];

const ADAM_FAMILY = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/**
 * Keras 3 defaults (keras/src/optimizers/*.py `__init__`), except `momentum` for the `momentum`
 * and `nesterov` names: Keras' SGD defaults to momentum 0, which would make these names plain SGD;
 * 0.9 is the value of Sutskever et al. 2013 and of most published recipes.
 */
export const OPTIMIZER_DEFAULTS: { readonly [N in OptimizerName]: Readonly<Defaults<N>> } = {
  sgd: { learningRate: 0.01, momentum: 0, nesterov: false },
  momentum: { learningRate: 0.01, momentum: 0.9, nesterov: false },
  nesterov: { learningRate: 0.01, momentum: 0.9 },
  adagrad: { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 },
  adadelta: { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 },
  rmsprop: { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  adam: { ...ADAM_FAMILY, amsgrad: false },
  adamw: { ...ADAM_FAMILY, amsgrad: false, weightDecay: 0.004 },
  adamax: { ...ADAM_FAMILY },
  nadam: { ...ADAM_FAMILY },
  lion: { learningRate: 0.001, beta1: 0.9, beta2: 0.99 },
};

const DECAY_RATE: Bounds = { min: 0, max: 1, exclusiveMax: true };

/** The admissible range of each numeric option (booleans are checked as booleans). */
const RANGES: Readonly<Record<string, Bounds>> = {
  beta1: DECAY_RATE,
  beta2: DECAY_RATE,
  rho: DECAY_RATE,
  // Keras 3 accepts momentum in [0, 1] (SGD and RMSprop check it).
  momentum: { min: 0, max: 1 },
  epsilon: { min: 0, exclusiveMin: true },
  initialAccumulatorValue: { min: 0 },
  weightDecay: { min: 0 },
  clipNorm: { min: 0, exclusiveMin: true },
  globalClipNorm: { min: 0, exclusiveMin: true },
  clipValue: { min: 0, exclusiveMin: true },
};

/** Lion with beta1 = 0 degenerates to signSGD; Keras 3 rejects it. */
const LION_BETA1: Bounds = { min: 0, exclusiveMin: true, max: 1, exclusiveMax: true };

const BOOLEAN_OPTIONS = new Set(['nesterov', 'centered', 'amsgrad']);
const CLIP_OPTIONS = ['clipNorm', 'globalClipNorm', 'clipValue'] as const;
const COMMON_KEYS = ['name', 'learningRate', 'weightDecay', ...CLIP_OPTIONS];

/** The options `name` accepts, `name` itself included. */
export function allowedOptions(name: OptimizerName): string[] {
  const own = Object.keys(OPTIMIZER_DEFAULTS[name]).filter((k) => !COMMON_KEYS.includes(k));
  return [...COMMON_KEYS, ...own];
}

function parseOption(name: OptimizerName, key: string, value: unknown, field: string): number | boolean {
  if (BOOLEAN_OPTIONS.has(key)) return bool(value, field);
  return numberIn(value, field, name === 'lion' && key === 'beta1' ? LION_BETA1 : RANGES[key]);
}

/**
 * Validates an optimizer spec and fills Keras 3 defaults. Throws `invalid()` (HTTP 400) naming
 * the offending option: unknown name or option, wrong type, out-of-range value, bad schedule,
 * or more than one clipping option.
 */
export function parseOptimizerSpec(input: unknown, path = 'optimizer'): OptimizerSpec {
  if (!isObject(input)) invalid(path, `must be an object like { "name": "adam" }, got ${show(input)}`);
  const optimizer = oneOf(input.name, `${path}.name`, OPTIMIZER_NAMES);
  rejectUnknown(input, allowedOptions(optimizer), path, `option of optimizer "${optimizer}"`);

  const clips = CLIP_OPTIONS.filter((k) => input[k] !== undefined);
  if (clips.length > 1) {
    invalid(path, `only one of ${CLIP_OPTIONS.join(', ')} may be set, got ${clips.join(' and ')}`, {
      fields: clips.map((k) => `${path}.${k}`),
    });
  }

  const defaults: Readonly<Record<string, unknown>> = OPTIMIZER_DEFAULTS[optimizer];
  const spec: Record<string, unknown> = { name: optimizer };
  for (const [key, fallback] of Object.entries(defaults)) {
    if (key === 'learningRate') continue;
    const value = input[key];
    spec[key] = value === undefined ? fallback : parseOption(optimizer, key, value, `${path}.${key}`);
  }
  spec.learningRate =
    input.learningRate === undefined ? defaults.learningRate : parseLearningRate(input.learningRate, `${path}.learningRate`);
  for (const key of ['weightDecay', ...CLIP_OPTIONS]) {
    if (input[key] !== undefined) spec[key] = parseOption(optimizer, key, input[key], `${path}.${key}`);
  }
  // The table above guarantees every field of SpecOf<name> is set with its type.
  return spec as unknown as OptimizerSpec;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  learningRate: 'a number >= 0, or a schedule object { type, ... }',
  weightDecay: 'decoupled weight decay: w -= w * weightDecay * lr before each update',
  clipNorm: 'rescale each gradient tensor whose L2 norm exceeds this to this norm (at most one clipping option)',
  globalClipNorm: 'rescale all gradients together when their joint L2 norm exceeds this (at most one clipping option)',
  clipValue: 'clamp each gradient element into [-clipValue, clipValue] (at most one clipping option)',
  momentum: 'momentum coefficient (0: none)',
  nesterov: 'Nesterov momentum',
  initialAccumulatorValue: 'starting value of the squared-gradient accumulator',
  epsilon: 'added to denominators for numerical stability',
  rho: 'decay rate of the moving averages',
  centered: 'normalize by the variance of the gradient rather than its second moment',
  beta1: 'decay rate of the first-moment (mean) estimate',
  beta2: 'decay rate of the second-moment estimate (lion: of the momentum)',
  amsgrad: 'use the maximum of past second-moment estimates (AMSGrad)',
};

/**
 * The options of `name` (all but `name`) as an option table: the kinds, ranges and defaults
 * parseOptimizerSpec applies, taken from its own tables, for the OpenAPI document.
 */
export function optimizerOptions(name: OptimizerName): Record<string, OptionInfo> {
  const defaults: Readonly<Record<string, unknown>> = OPTIMIZER_DEFAULTS[name];
  const table: Record<string, OptionInfo> = {};
  for (const key of allowedOptions(name)) {
    if (key === 'name') continue;
    const description = DESCRIPTIONS[key] ?? key;
    const fallback = defaults[key];
    if (key === 'learningRate') {
      table[key] = { kind: 'learningRate', default: fallback as number, description };
    } else if (BOOLEAN_OPTIONS.has(key)) {
      table[key] = { kind: 'boolean', default: fallback as boolean, description };
    } else {
      const range = name === 'lion' && key === 'beta1' ? LION_BETA1 : RANGES[key];
      table[key] = {
        kind: 'number',
        bounds: range,
        ...(fallback === undefined ? {} : { default: fallback as number }),
        description,
      };
    }
  }
  return table;
}
