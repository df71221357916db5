/**
 * Every optimizer and every option against the independent float64 reference (reference.ts):
 * 8 updates with varying gradients on two variables, compared at float32 tolerance.
 */
import { describe, test } from 'node:test';
import type { RefOptions } from './reference.ts';
import { assertClose, assertMoved, runOurs, runReference } from './helpers.ts';
import { onEachBackend } from './backends.ts';

const STEPS = 8;

interface Case {
  title: string;
  spec: Record<string, unknown>;
  ref: RefOptions;
  /** Gradient scale (large to make clipping bite). */
  scale?: number;
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

const OPTIMIZER_CASES: Case[] = [
  { title: 'sgd', spec: { name: 'sgd', learningRate: 0.1 }, ref: { name: 'sgd', lr: 0.1, momentum: 0 } },
  {
    title: 'sgd with momentum option',
    spec: { name: 'sgd', learningRate: 0.1, momentum: 0.6 },
    ref: { name: 'sgd', lr: 0.1, momentum: 0.6 },
  },
  { title: 'momentum', spec: { name: 'momentum', learningRate: 0.1, momentum: 0.8 }, ref: { name: 'sgd', lr: 0.1, momentum: 0.8 } },
  {
    title: 'momentum with nesterov: true',
    spec: { name: 'momentum', learningRate: 0.1, momentum: 0.7, nesterov: true },
    ref: { name: 'sgd', lr: 0.1, momentum: 0.7, nesterov: true },
  },
  // 0.9 is our documented default momentum for the `momentum` and `nesterov` names.
  {
    title: 'nesterov (defaults)',
    spec: { name: 'nesterov', learningRate: 0.05 },
    ref: { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  },
  {
    title: 'adagrad (Keras defaults: accumulator 0.1, epsilon 1e-7)',
    spec: { name: 'adagrad', learningRate: 0.1 },
    ref: { name: 'adagrad', lr: 0.1, initialAccumulatorValue: 0.1, epsilon: 1e-7 },
  },
  {
    title: 'adagrad with initialAccumulatorValue and epsilon',
    spec: { name: 'adagrad', learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 },
    ref: { name: 'adagrad', lr: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 },
  },
  {
    title: 'adadelta (defaults, lr 1)',
    spec: { name: 'adadelta', learningRate: 1 },
    ref: { name: 'adadelta', lr: 1, rho: 0.95, epsilon: 1e-7 },
  },
  {
    title: 'adadelta with rho and epsilon',
    spec: { name: 'adadelta', learningRate: 1, rho: 0.8, epsilon: 1e-4 },
    ref: { name: 'adadelta', lr: 1, rho: 0.8, epsilon: 1e-4 },
  },
  {
    title: 'rmsprop',
    spec: { name: 'rmsprop', learningRate: 0.01 },
    ref: { name: 'rmsprop', lr: 0.01, rho: 0.9, epsilon: 1e-7, momentum: 0 },
  },
  {
    title: 'rmsprop with momentum',
    spec: { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, rho: 0.8 },
    ref: { name: 'rmsprop', lr: 0.01, rho: 0.8, epsilon: 1e-7, momentum: 0.5 },
  },
  {
    title: 'rmsprop centered',
    spec: { name: 'rmsprop', learningRate: 0.01, centered: true, epsilon: 1e-4 },
    ref: { name: 'rmsprop', lr: 0.01, rho: 0.9, epsilon: 1e-4, momentum: 0, centered: true },
  },
  {
    title: 'rmsprop centered with momentum',
    spec: { name: 'rmsprop', learningRate: 0.01, centered: true, momentum: 0.3 },
    ref: { name: 'rmsprop', lr: 0.01, rho: 0.9, epsilon: 1e-7, momentum: 0.3, centered: true },
  },
  { title: 'adam', spec: { name: 'adam', learningRate: 0.05 }, ref: { name: 'adam', lr: 0.05, ...ADAM } },
  {
    title: 'adam with betas and epsilon',
    spec: { name: 'adam', learningRate: 0.05, beta1: 0.5, beta2: 0.7, epsilon: 1e-3 },
    ref: { name: 'adam', lr: 0.05, beta1: 0.5, beta2: 0.7, epsilon: 1e-3 },
  },
  {
    title: 'adam amsgrad',
    spec: { name: 'adam', learningRate: 0.05, amsgrad: true, beta2: 0.5 },
    ref: { name: 'adam', lr: 0.05, ...ADAM, beta2: 0.5, amsgrad: true },
  },
  {
    title: 'adamw (default weightDecay 0.004)',
    spec: { name: 'adamw', learningRate: 0.05 },
    ref: { name: 'adam', lr: 0.05, ...ADAM, weightDecay: 0.004 },
  },
  {
    title: 'adamw with weightDecay and amsgrad',
    spec: { name: 'adamw', learningRate: 0.05, weightDecay: 0.3, amsgrad: true },
    ref: { name: 'adam', lr: 0.05, ...ADAM, weightDecay: 0.3, amsgrad: true },
  },
  { title: 'adamax', spec: { name: 'adamax', learningRate: 0.05 }, ref: { name: 'adamax', lr: 0.05, ...ADAM } },
  {
    title: 'adamax with betas',
    spec: { name: 'adamax', learningRate: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-3 },
    ref: { name: 'adamax', lr: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-3 },
  },
  { title: 'nadam', spec: { name: 'nadam', learningRate: 0.05 }, ref: { name: 'nadam', lr: 0.05, ...ADAM } },
  {
    title: 'nadam with betas',
    spec: { name: 'nadam', learningRate: 0.05, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 },
    ref: { name: 'nadam', lr: 0.05, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 },
  },
  { title: 'lion', spec: { name: 'lion', learningRate: 0.01 }, ref: { name: 'lion', lr: 0.01, beta1: 0.9, beta2: 0.99 } },
  {
    title: 'lion with betas',
    spec: { name: 'lion', learningRate: 0.01, beta1: 0.5, beta2: 0.8 },
    ref: { name: 'lion', lr: 0.01, beta1: 0.5, beta2: 0.8 },
  },
];

const COMMON_OPTION_CASES: Case[] = [
  {
    title: 'sgd + weightDecay',
    spec: { name: 'sgd', learningRate: 0.1, weightDecay: 0.2 },
    ref: { name: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0.2 },
  },
  {
    title: 'rmsprop + weightDecay',
    spec: { name: 'rmsprop', learningRate: 0.01, weightDecay: 0.5 },
    ref: { name: 'rmsprop', lr: 0.01, rho: 0.9, epsilon: 1e-7, momentum: 0, weightDecay: 0.5 },
  },
  {
    title: 'lion + weightDecay',
    spec: { name: 'lion', learningRate: 0.01, weightDecay: 1 },
    ref: { name: 'lion', lr: 0.01, beta1: 0.9, beta2: 0.99, weightDecay: 1 },
  },
  {
    title: 'nadam + weightDecay',
    spec: { name: 'nadam', learningRate: 0.05, weightDecay: 0.1 },
    ref: { name: 'nadam', lr: 0.05, ...ADAM, weightDecay: 0.1 },
  },
  {
    title: 'sgd + clipNorm (per tensor)',
    spec: { name: 'sgd', learningRate: 0.1, clipNorm: 1 },
    ref: { name: 'sgd', lr: 0.1, momentum: 0, clipNorm: 1 },
    scale: 5,
  },
  {
    title: 'adam + clipNorm (per tensor)',
    spec: { name: 'adam', learningRate: 0.05, clipNorm: 1, beta2: 0.5 },
    ref: { name: 'adam', lr: 0.05, ...ADAM, beta2: 0.5, clipNorm: 1 },
    scale: 5,
  },
  {
    title: 'momentum + globalClipNorm',
    spec: { name: 'momentum', learningRate: 0.1, globalClipNorm: 2 },
    ref: { name: 'sgd', lr: 0.1, momentum: 0.9, globalClipNorm: 2 },
    scale: 5,
  },
  {
    title: 'adagrad + globalClipNorm',
    spec: { name: 'adagrad', learningRate: 0.1, globalClipNorm: 2 },
    ref: { name: 'adagrad', lr: 0.1, initialAccumulatorValue: 0.1, epsilon: 1e-7, globalClipNorm: 2 },
    scale: 5,
  },
  {
    title: 'sgd + clipValue',
    spec: { name: 'sgd', learningRate: 0.1, clipValue: 0.5 },
    ref: { name: 'sgd', lr: 0.1, momentum: 0, clipValue: 0.5 },
  },
  {
    title: 'adamax + clipValue',
    spec: { name: 'adamax', learningRate: 0.05, clipValue: 2 },
    ref: { name: 'adamax', lr: 0.05, ...ADAM, clipValue: 2 },
    scale: 5,
  },
];

/** Schedules: the reference rate is written here from each schedule's formula. */
const SCHEDULE_CASES: Case[] = [
  {
    title: 'exponential schedule',
    spec: { name: 'momentum', learningRate: { type: 'exponential', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5 } },
    ref: { name: 'sgd', momentum: 0.9, lr: (s) => 0.1 * 0.5 ** (s / 3) },
  },
  {
    title: 'exponential schedule, staircase',
    spec: { name: 'adam', learningRate: { type: 'exponential', initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true } },
    ref: { name: 'adam', ...ADAM, lr: (s) => 0.1 * 0.5 ** Math.floor(s / 3) },
  },
  {
    title: 'inverseTime schedule',
    spec: { name: 'sgd', learningRate: { type: 'inverseTime', initialLearningRate: 0.2, decaySteps: 2, decayRate: 0.5 } },
    ref: { name: 'sgd', momentum: 0, lr: (s) => 0.2 / (1 + (0.5 * s) / 2) },
  },
  {
    title: 'inverseTime schedule, staircase',
    spec: { name: 'sgd', learningRate: { type: 'inverseTime', initialLearningRate: 0.2, decaySteps: 3, decayRate: 1, staircase: true } },
    ref: { name: 'sgd', momentum: 0, lr: (s) => 0.2 / (1 + Math.floor(s / 3)) },
  },
  {
    title: 'piecewiseConstant schedule',
    spec: { name: 'sgd', learningRate: { type: 'piecewiseConstant', boundaries: [2, 5], values: [0.1, 0.05, 0.01] } },
    ref: { name: 'sgd', momentum: 0, lr: (s) => (s <= 2 ? 0.1 : s <= 5 ? 0.05 : 0.01) },
  },
  {
    title: 'polynomial schedule',
    spec: {
      name: 'rmsprop',
      learningRate: { type: 'polynomial', initialLearningRate: 0.1, decaySteps: 6, endLearningRate: 0.01, power: 2 },
    },
    ref: { name: 'rmsprop', rho: 0.9, epsilon: 1e-7, momentum: 0, lr: (s) => 0.09 * (1 - Math.min(s, 6) / 6) ** 2 + 0.01 },
  },
  {
    title: 'polynomial schedule, cycle',
    spec: { name: 'sgd', learningRate: { type: 'polynomial', initialLearningRate: 0.1, decaySteps: 3, cycle: true } },
    ref: {
      name: 'sgd',
      momentum: 0,
      lr: (s) => {
        const d = 3 * (s === 0 ? 1 : Math.ceil(s / 3));
        return (0.1 - 0.0001) * (1 - s / d) + 0.0001;
      },
    },
  },
  {
    title: 'cosine schedule',
    spec: { name: 'adam', learningRate: { type: 'cosine', initialLearningRate: 0.1, decaySteps: 6, alpha: 0.1 } },
    ref: { name: 'adam', ...ADAM, lr: (s) => 0.1 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 6)) / 6)) + 0.1) },
  },
  {
    title: 'cosine schedule with Keras warmupTarget',
    spec: { name: 'sgd', learningRate: { type: 'cosine', initialLearningRate: 0, decaySteps: 4, warmupTarget: 0.2, warmupSteps: 3 } },
    ref: {
      name: 'sgd',
      momentum: 0,
      lr: (s) => (s < 3 ? (0.2 * s) / 3 : 0.2 * 0.5 * (1 + Math.cos((Math.PI * (Math.min(s, 7) - 3)) / 4))),
    },
  },
  {
    title: 'cosineRestarts schedule',
    spec: {
      name: 'sgd',
      learningRate: { type: 'cosineRestarts', initialLearningRate: 0.1, firstDecaySteps: 2, tMul: 2, mMul: 0.5, alpha: 0.1 },
    },
    ref: {
      name: 'sgd',
      momentum: 0,
      // periods [0,2) [2,6) [6,14): peak 1, 0.5, 0.25
      lr: (s) => {
        const [start, len, peak] = s < 2 ? [0, 2, 1] : s < 6 ? [2, 4, 0.5] : [6, 8, 0.25];
        return 0.1 * (0.9 * peak * 0.5 * (1 + Math.cos((Math.PI * (s - start)) / len)) + 0.1);
      },
    },
  },
  {
    title: 'warmupSteps on an exponential schedule',
    spec: { name: 'adam', learningRate: { type: 'exponential', initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5, warmupSteps: 4 } },
    ref: { name: 'adam', ...ADAM, lr: (s) => 0.1 * 0.5 ** (s / 4) * Math.min(1, s / 4) },
  },
  {
    title: 'warmupSteps on a piecewiseConstant schedule',
    spec: { name: 'sgd', learningRate: { type: 'piecewiseConstant', boundaries: [1], values: [0.1, 0.05], warmupSteps: 3 } },
    ref: { name: 'sgd', momentum: 0, lr: (s) => (s <= 1 ? 0.1 : 0.05) * Math.min(1, s / 3) },
  },
];

// Not re-indented, to keep this diff small: the formatting pass after the merges indents it.
onEachBackend(() => {
  for (const [group, cases] of [
    ['each optimizer and its own options', OPTIMIZER_CASES],
    ['weight decay and clipping', COMMON_OPTION_CASES],
    ['learning-rate schedules and warm-up', SCHEDULE_CASES],
  ] as const) {
    describe(`matches the float64 reference: ${group}`, () => {
      for (const c of cases) {
        test(c.title, () => {
          const ours = runOurs(c.spec, STEPS, c.scale);
          assertMoved(ours);
          assertClose(ours, runReference(c.ref, STEPS, c.scale));
        });
      }
    });
  }
});
