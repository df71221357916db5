/**
 * Learning-rate schedules, following Keras 3 `keras.optimizers.schedules`
 * (keras/src/optimizers/schedules/learning_rate_schedule.py), parameters in camelCase.
 *
 * PURE (no TensorFlow.js): the API validates schedules with `parseLearningRate`, the optimizer
 * evaluates them with `learningRateAt`, in float64 (Keras evaluates in float32; the difference is
 * below float32 resolution of the resulting rate).
 *
 * `step` is the optimizer's `iterations` before the update (0 for the first update), as in Keras.
 *
 * Warm-up (our addition, available on every schedule): with `warmupSteps = W > 0`
 *
 *     lr(step) = schedule(step) * min(1, step / W)
 *
 * i.e. a linear ramp from 0 at step 0 to the schedule's own value at step W, the schedule itself
 * not shifted (it keeps running during the ramp). This is the shape of Keras' CosineDecay warm-up
 * and of Hugging Face's `get_linear_schedule_with_warmup`. The first update (step 0) therefore
 * uses rate 0; adaptive optimizers still update their moment estimates on it.
 * Exception: a `cosine` schedule with `warmupTarget` uses Keras' own CosineDecay warm-up
 * (ramp from initialLearningRate to warmupTarget over warmupSteps, then decay from warmupTarget).
 */
import { invalid } from '../errors.ts';
import { optionBounds, type OptionInfo } from './options.ts';
import { bool, isObject, numberIn, oneOf, rejectUnknown, show, type Bounds, type Json } from './fields.ts';

export const SCHEDULE_TYPES = ['exponential', 'inverseTime', 'piecewiseConstant', 'polynomial', 'cosine', 'cosineRestarts'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

interface Warmup {
  /** Steps of linear warm-up (see the module comment). @defaultValue 0 */
  warmupSteps: number;
}

/** lr = initial * decayRate^(step / decaySteps); the exponent is floored when `staircase`. */
export interface ExponentialSchedule extends Warmup {
  type: 'exponential';
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase: boolean;
}

/** lr = initial / (1 + decayRate * step / decaySteps); the quotient is floored when `staircase`. */
export interface InverseTimeSchedule extends Warmup {
  type: 'inverseTime';
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase: boolean;
}

/** values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], values[n] after. */
export interface PiecewiseConstantSchedule extends Warmup {
  type: 'piecewiseConstant';
  boundaries: number[];
  values: number[];
}

/**
 * lr = (initial - end) * (1 - s / D)^power + end, with s = min(step, D) and D = decaySteps, or,
 * when `cycle`, D = decaySteps * ceil(step / decaySteps) (1 at step 0) and s = step.
 */
export interface PolynomialSchedule extends Warmup {
  type: 'polynomial';
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate: number;
  power: number;
  cycle: boolean;
}

/**
 * lr = peak * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, D) / D)) + alpha), D = decaySteps,
 * peak = initialLearningRate (or warmupTarget after a Keras-style warm-up).
 */
export interface CosineSchedule extends Warmup {
  type: 'cosine';
  initialLearningRate: number;
  decaySteps: number;
  alpha: number;
  /** When set, Keras CosineDecay's own warm-up from initialLearningRate to this value. */
  warmupTarget?: number;
}

/**
 * SGDR: period i lasts firstDecaySteps * tMul^i steps and peaks at initial * mMul^i;
 * inside a period, with f the completed fraction of it,
 * lr = initial * ((1 - alpha) * mMul^i * 0.5 * (1 + cos(pi * f)) + alpha).
 */
export interface CosineRestartsSchedule extends Warmup {
  type: 'cosineRestarts';
  initialLearningRate: number;
  firstDecaySteps: number;
  tMul: number;
  mMul: number;
  alpha: number;
}

export type LearningRateSchedule =
  ExponentialSchedule | InverseTimeSchedule | PiecewiseConstantSchedule | PolynomialSchedule | CosineSchedule | CosineRestartsSchedule;

/** A constant rate or a schedule. */
export type LearningRate = number | LearningRateSchedule;

const RATE: Bounds = { min: 0 };
const STEPS: Bounds = { min: 0, exclusiveMin: true };
const FRACTION: Bounds = { min: 0, max: 1 };

const initial: OptionInfo = {
  kind: 'number',
  bounds: RATE,
  required: true,
  description: 'the learning rate at step 0 (after any warm-up)',
};
const decaySteps: OptionInfo = { kind: 'number', bounds: STEPS, required: true, description: 'steps over which the rate decays' };
const alpha: OptionInfo = {
  kind: 'number',
  bounds: FRACTION,
  default: 0,
  description: 'the floor, as a fraction of the initial rate',
};
const decayOptions = {
  initialLearningRate: initial,
  decaySteps,
  decayRate: { kind: 'number', bounds: { min: 0 }, required: true, description: 'factor of decay per decaySteps' },
  staircase: { kind: 'boolean', default: false, description: 'decay in whole steps of decaySteps' },
} as const satisfies Readonly<Record<string, OptionInfo>>;

/** Every schedule's own options (besides `type` and `warmupSteps`), as the parsers read them. */
type ScheduleOptions = {
  readonly [T in ScheduleType]: { readonly [K in keyof Parsed<Extract<LearningRateSchedule, { type: T }>>]-?: OptionInfo };
};

export const SCHEDULE_OPTIONS: ScheduleOptions = {
  exponential: decayOptions,
  inverseTime: decayOptions,
  piecewiseConstant: {
    boundaries: { kind: 'numbers', bounds: { min: 0 }, required: true, description: 'increasing steps where the rate changes' },
    values: { kind: 'numbers', bounds: RATE, required: true, description: 'the rates: one more than boundaries' },
  },
  polynomial: {
    initialLearningRate: initial,
    decaySteps,
    endLearningRate: { kind: 'number', bounds: RATE, default: 0.0001, description: 'the rate reached at decaySteps' },
    power: { kind: 'number', bounds: { min: 0, exclusiveMin: true }, default: 1, description: 'exponent of the polynomial' },
    cycle: { kind: 'boolean', default: false, description: 'start again past decaySteps (with a longer period)' },
  },
  cosine: {
    initialLearningRate: initial,
    decaySteps,
    alpha,
    warmupTarget: {
      kind: 'number',
      bounds: RATE,
      description: "Keras CosineDecay's own warm-up: ramp from initialLearningRate to this over warmupSteps",
    },
  },
  cosineRestarts: {
    initialLearningRate: initial,
    firstDecaySteps: { kind: 'number', bounds: STEPS, required: true, description: 'length of the first period' },
    // tMul < 1 gives periods whose total length is finite; past it Keras' formula is NaN.
    tMul: { kind: 'number', bounds: { min: 1 }, default: 2, description: 'each period is this many times longer than the one before' },
    mMul: { kind: 'number', bounds: RATE, default: 1, description: "each period's peak is this many times the one before" },
    alpha,
  },
};

/** The option every schedule has. */
export const WARMUP_OPTION: OptionInfo = {
  kind: 'integer',
  bounds: { min: 0 },
  default: 0,
  description: "steps of linear warm-up from 0 to the schedule's rate",
};

/** Reads one schedule object's fields as SCHEDULE_OPTIONS says, each error naming `<path>.<field>`. */
class Fields {
  private readonly table: Readonly<Record<string, OptionInfo>>;

  constructor(
    readonly input: Json,
    readonly path: string,
    readonly type: ScheduleType,
  ) {
    this.table = { ...SCHEDULE_OPTIONS[type], warmupSteps: WARMUP_OPTION };
  }

  /** A number in the option's range; absent -> its default, or an error when it has none. */
  num(key: string): number {
    const info = this.table[key];
    const value = this.input[key];
    if (value !== undefined) return numberIn(value, `${this.path}.${key}`, optionBounds(info));
    const fallback = 'default' in info ? info.default : undefined;
    if (typeof fallback !== 'number') invalid(`${this.path}.${key}`, `is required for a ${this.type} schedule`);
    return fallback;
  }

  flag(key: string): boolean {
    const value = this.input[key];
    return value === undefined ? false : bool(value, `${this.path}.${key}`);
  }

  only(): void {
    const allowed = ['type', 'warmupSteps', ...Object.keys(SCHEDULE_OPTIONS[this.type])];
    rejectUnknown(this.input, allowed, this.path, `option of schedule "${this.type}"`);
  }
}

type Parsed<T extends LearningRateSchedule> = Omit<T, 'type' | 'warmupSteps'>;

function decay(f: Fields): Parsed<ExponentialSchedule> {
  f.only();
  return {
    initialLearningRate: f.num('initialLearningRate'),
    decaySteps: f.num('decaySteps'),
    decayRate: f.num('decayRate'),
    staircase: f.flag('staircase'),
  };
}

const PARSERS: { [T in ScheduleType]: (f: Fields) => Parsed<Extract<LearningRateSchedule, { type: T }>> } = {
  exponential: decay,
  inverseTime: decay,
  piecewiseConstant: (f) => {
    f.only();
    return parsePiecewise(f.input, f.path);
  },
  polynomial: (f) => {
    f.only();
    return {
      initialLearningRate: f.num('initialLearningRate'),
      decaySteps: f.num('decaySteps'),
      endLearningRate: f.num('endLearningRate'),
      power: f.num('power'),
      cycle: f.flag('cycle'),
    };
  },
  cosine: (f) => {
    f.only();
    const parsed: Parsed<CosineSchedule> = {
      initialLearningRate: f.num('initialLearningRate'),
      decaySteps: f.num('decaySteps'),
      alpha: f.num('alpha'),
    };
    if (f.input.warmupTarget !== undefined) parsed.warmupTarget = f.num('warmupTarget');
    return parsed;
  },
  cosineRestarts: (f) => {
    f.only();
    return {
      initialLearningRate: f.num('initialLearningRate'),
      firstDecaySteps: f.num('firstDecaySteps'),
      tMul: f.num('tMul'),
      mMul: f.num('mMul'),
      alpha: f.num('alpha'),
    };
  },
};

function parseSchedule(input: Json, path: string): LearningRateSchedule {
  const type = oneOf(input.type, `${path}.type`, SCHEDULE_TYPES);
  const fields = new Fields(input, path, type);
  const parse = PARSERS[type] as (f: Fields) => Parsed<LearningRateSchedule>;
  const parsed = parse(fields);
  const warmupSteps = fields.num('warmupSteps');
  return { type, ...parsed, warmupSteps } as LearningRateSchedule;
}

function parsePiecewise(input: Json, path: string): { boundaries: number[]; values: number[] } {
  const { boundaries, values } = input;
  if (!Array.isArray(boundaries) || boundaries.length === 0) {
    invalid(`${path}.boundaries`, `must be a non-empty array of increasing steps, got ${show(boundaries)}`);
  }
  if (!Array.isArray(values)) invalid(`${path}.values`, `must be an array of learning rates, got ${show(values)}`);
  const table = SCHEDULE_OPTIONS.piecewiseConstant;
  const b = boundaries.map((x: unknown, i) => numberIn(x, `${path}.boundaries[${i}]`, optionBounds(table.boundaries)));
  b.forEach((x, i) => {
    if (i > 0 && x <= b[i - 1]) invalid(`${path}.boundaries[${i}]`, `must be greater than the previous boundary ${b[i - 1]}, got ${x}`);
  });
  if (values.length !== b.length + 1) {
    invalid(`${path}.values`, `must have one more element than boundaries (${b.length + 1}), got ${values.length}`);
  }
  const v = values.map((x: unknown, i) => numberIn(x, `${path}.values[${i}]`, optionBounds(table.values)));
  return { boundaries: b, values: v };
}

/**
 * Validates a `learningRate` option: a number >= 0 or a schedule object. Fills schedule defaults
 * (Keras 3's: polynomial endLearningRate 0.0001 and power 1; cosine alpha 0; cosineRestarts
 * tMul 2, mMul 1, alpha 0; staircase and cycle false; warmupSteps 0).
 */
export function parseLearningRate(input: unknown, path: string): LearningRate {
  if (isObject(input)) return parseSchedule(input, path);
  if (typeof input !== 'number') {
    invalid(path, `must be a number or a schedule object { type: ${SCHEDULE_TYPES.join(' | ')}, ... }, got ${show(input)}`);
  }
  return numberIn(input, path, RATE);
}

function cosineFactor(fraction: number, alpha: number): number {
  return (1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * fraction)) + alpha;
}

/** The schedule's own value at `step`, before our generic warm-up. */
function scheduleValue(s: LearningRateSchedule, step: number): number {
  switch (s.type) {
    case 'exponential': {
      const p = s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps;
      return s.initialLearningRate * Math.pow(s.decayRate, p);
    }
    case 'inverseTime': {
      const p = s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps;
      return s.initialLearningRate / (1 + s.decayRate * p);
    }
    case 'piecewiseConstant': {
      const i = s.boundaries.findIndex((b) => step <= b);
      return s.values[i === -1 ? s.values.length - 1 : i];
    }
    case 'polynomial': {
      let decaySteps = s.decaySteps;
      let t = step;
      if (s.cycle) decaySteps *= step === 0 ? 1 : Math.ceil(step / s.decaySteps);
      else t = Math.min(step, decaySteps);
      return (s.initialLearningRate - s.endLearningRate) * Math.pow(1 - t / decaySteps, s.power) + s.endLearningRate;
    }
    case 'cosine':
      return cosineValue(s, step);
    case 'cosineRestarts':
      return restartsValue(s, step);
  }
}

/** Walks the periods: Keras' closed form (a log base tMul) made exact at period boundaries. */
function restartsValue(s: CosineRestartsSchedule, step: number): number {
  let period = s.firstDecaySteps;
  let t = step;
  let restarts = 0;
  if (s.tMul === 1) {
    restarts = Math.floor(step / period);
    t = step - restarts * period;
  } else {
    while (t >= period) {
      t -= period;
      period *= s.tMul;
      restarts += 1;
    }
  }
  const peak = Math.pow(s.mMul, restarts);
  return s.initialLearningRate * ((1 - s.alpha) * peak * 0.5 * (1 + Math.cos((Math.PI * t) / period)) + s.alpha);
}

function cosineValue(s: CosineSchedule, step: number): number {
  if (s.warmupTarget === undefined) {
    return s.initialLearningRate * cosineFactor(Math.min(step, s.decaySteps) / s.decaySteps, s.alpha);
  }
  const t = Math.min(step, s.decaySteps + s.warmupSteps);
  if (t < s.warmupSteps) {
    return ((s.warmupTarget - s.initialLearningRate) * t) / s.warmupSteps + s.initialLearningRate;
  }
  return s.warmupTarget * cosineFactor((t - s.warmupSteps) / s.decaySteps, s.alpha);
}

/** Does the generic warm-up apply (it does not when Keras' cosine warm-up is used instead)? */
function hasGenericWarmup(s: LearningRateSchedule): boolean {
  return s.warmupSteps > 0 && !(s.type === 'cosine' && s.warmupTarget !== undefined);
}

/** The learning rate used by the update made when the optimizer's `iterations` equals `step`. */
export function learningRateAt(rate: LearningRate, step: number): number {
  if (typeof rate === 'number') return rate;
  const value = scheduleValue(rate, step);
  return hasGenericWarmup(rate) ? value * Math.min(1, step / rate.warmupSteps) : value;
}
