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
import { bool, isPlainObject, numberIn, onlyKeys, show, type PlainObject, type Range } from './validate.ts';

export const SCHEDULE_TYPES = [
  'exponential',
  'inverseTime',
  'piecewiseConstant',
  'polynomial',
  'cosine',
  'cosineRestarts',
] as const;
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
  | ExponentialSchedule
  | InverseTimeSchedule
  | PiecewiseConstantSchedule
  | PolynomialSchedule
  | CosineSchedule
  | CosineRestartsSchedule;

/** A constant rate or a schedule. */
export type LearningRate = number | LearningRateSchedule;

const RATE: Range = { min: 0 };
const STEPS: Range = { min: 0, minExclusive: true };
const FRACTION: Range = { min: 0, max: 1 };

/** Reads one schedule object's fields, each error naming `<path>.<field>`. */
class Fields {
  constructor(
    readonly input: PlainObject,
    readonly path: string,
    readonly type: ScheduleType,
  ) {}

  /** A number in `range`; absent -> `fallback`, or an error when the field is required. */
  num(key: string, range: Range, fallback?: number): number {
    const value = this.input[key];
    if (value !== undefined) return numberIn(value, `${this.path}.${key}`, range);
    if (fallback === undefined) invalid(`${this.path}.${key}`, `is required for a ${this.type} schedule`);
    return fallback;
  }

  flag(key: string): boolean {
    const value = this.input[key];
    return value === undefined ? false : bool(value, `${this.path}.${key}`);
  }

  only(keys: readonly string[]): void {
    onlyKeys(this.input, ['type', 'warmupSteps', ...keys], this.path, `a ${this.type} schedule`);
  }
}

type Parsed<T extends LearningRateSchedule> = Omit<T, 'type' | 'warmupSteps'>;

function decay(f: Fields): Parsed<ExponentialSchedule> {
  f.only(['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  return {
    initialLearningRate: f.num('initialLearningRate', RATE),
    decaySteps: f.num('decaySteps', STEPS),
    decayRate: f.num('decayRate', { min: 0 }),
    staircase: f.flag('staircase'),
  };
}

const PARSERS: { [T in ScheduleType]: (f: Fields) => Parsed<Extract<LearningRateSchedule, { type: T }>> } = {
  exponential: decay,
  inverseTime: decay,
  piecewiseConstant: (f) => {
    f.only(['boundaries', 'values']);
    return parsePiecewise(f.input, f.path);
  },
  polynomial: (f) => {
    f.only(['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle']);
    return {
      initialLearningRate: f.num('initialLearningRate', RATE),
      decaySteps: f.num('decaySteps', STEPS),
      endLearningRate: f.num('endLearningRate', RATE, 0.0001),
      power: f.num('power', { min: 0, minExclusive: true }, 1),
      cycle: f.flag('cycle'),
    };
  },
  cosine: (f) => {
    f.only(['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget']);
    const parsed: Parsed<CosineSchedule> = {
      initialLearningRate: f.num('initialLearningRate', RATE),
      decaySteps: f.num('decaySteps', STEPS),
      alpha: f.num('alpha', FRACTION, 0),
    };
    if (f.input.warmupTarget !== undefined) parsed.warmupTarget = f.num('warmupTarget', RATE);
    return parsed;
  },
  cosineRestarts: (f) => {
    f.only(['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha']);
    return {
      initialLearningRate: f.num('initialLearningRate', RATE),
      firstDecaySteps: f.num('firstDecaySteps', STEPS),
      // tMul < 1 gives periods whose total length is finite; past it Keras' formula is NaN.
      tMul: f.num('tMul', { min: 1 }, 2),
      mMul: f.num('mMul', RATE, 1),
      alpha: f.num('alpha', FRACTION, 0),
    };
  },
};

function parseSchedule(input: PlainObject, path: string): LearningRateSchedule {
  const type = input.type;
  if (typeof type !== 'string' || !(SCHEDULE_TYPES as readonly string[]).includes(type)) {
    invalid(`${path}.type`, `must be one of ${SCHEDULE_TYPES.join(', ')}, got ${show(type)}`);
  }
  const fields = new Fields(input, path, type as ScheduleType);
  const parse = PARSERS[type as ScheduleType] as (f: Fields) => Parsed<LearningRateSchedule>;
  const parsed = parse(fields);
  const warmupSteps = fields.num('warmupSteps', { min: 0, integer: true }, 0);
  return { type, ...parsed, warmupSteps } as LearningRateSchedule;
}

function parsePiecewise(input: PlainObject, path: string): { boundaries: number[]; values: number[] } {
  const { boundaries, values } = input;
  if (!Array.isArray(boundaries) || boundaries.length === 0) {
    invalid(`${path}.boundaries`, `must be a non-empty array of increasing steps, got ${show(boundaries)}`);
  }
  if (!Array.isArray(values)) invalid(`${path}.values`, `must be an array of learning rates, got ${show(values)}`);
  const b = boundaries.map((x: unknown, i) => numberIn(x, `${path}.boundaries[${i}]`, { min: 0 }));
  b.forEach((x, i) => {
    if (i > 0 && x <= b[i - 1]) invalid(`${path}.boundaries[${i}]`, `must be greater than the previous boundary ${b[i - 1]}, got ${x}`);
  });
  if (values.length !== b.length + 1) {
    invalid(`${path}.values`, `must have one more element than boundaries (${b.length + 1}), got ${values.length}`);
  }
  const v = values.map((x: unknown, i) => numberIn(x, `${path}.values[${i}]`, RATE));
  return { boundaries: b, values: v };
}

/**
 * Validates a `learningRate` option: a number >= 0 or a schedule object. Fills schedule defaults
 * (Keras 3's: polynomial endLearningRate 0.0001 and power 1; cosine alpha 0; cosineRestarts
 * tMul 2, mMul 1, alpha 0; staircase and cycle false; warmupSteps 0).
 */
export function parseLearningRate(input: unknown, path: string): LearningRate {
  if (isPlainObject(input)) return parseSchedule(input, path);
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
