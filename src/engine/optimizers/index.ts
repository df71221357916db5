/** The optimizer library: specs and schedules (pure), the optimizers, and their factory. */
export {
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_NAMES,
  allowedOptions,
  parseOptimizerSpec,
  type CommonOptions,
  type OptimizerName,
  type OptimizerSpec,
  type OptionsByName,
  type SpecOf,
} from '../../domain/optimizer.ts';
export {
  SCHEDULE_TYPES,
  learningRateAt,
  parseLearningRate,
  type LearningRate,
  type LearningRateSchedule,
  type ScheduleType,
} from '../../domain/schedules.ts';
export { TrainerOptimizer, type OptimizerState, type SlotTensor } from './base.ts';
export { createOptimizer } from './registry.ts';
export { SGD } from './sgd.ts';
export { Adagrad } from './adagrad.ts';
export { Adadelta } from './adadelta.ts';
export { RMSprop } from './rmsprop.ts';
export { Adam } from './adam.ts';
export { AdamW } from './adamw.ts';
export { Adamax } from './adamax.ts';
export { Nadam } from './nadam.ts';
export { Lion } from './lion.ts';
