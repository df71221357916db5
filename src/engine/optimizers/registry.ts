/**
 * The one place optimizers are created: a table from the spec's `name` to its class.
 * Adding an optimizer is one line here, one file, and its entry in spec.ts.
 */
import { Adadelta } from './adadelta.ts';
import { Adagrad } from './adagrad.ts';
import { Adam } from './adam.ts';
import { Adamax } from './adamax.ts';
import { AdamW } from './adamw.ts';
import type { TrainerOptimizer } from './base.ts';
import { Lion } from './lion.ts';
import { Nadam } from './nadam.ts';
import { RMSprop } from './rmsprop.ts';
import { SGD } from './sgd.ts';
import type { OptimizerName, OptimizerSpec, SpecOf } from '../../domain/optimizer.ts';

type Factories = { readonly [N in OptimizerName]: (spec: SpecOf<N>) => TrainerOptimizer };

const FACTORIES: Factories = {
  sgd: (spec) => new SGD(spec),
  momentum: (spec) => new SGD(spec),
  nesterov: (spec) => new SGD(spec),
  adagrad: (spec) => new Adagrad(spec),
  adadelta: (spec) => new Adadelta(spec),
  rmsprop: (spec) => new RMSprop(spec),
  adam: (spec) => new Adam(spec),
  adamw: (spec) => new AdamW(spec),
  adamax: (spec) => new Adamax(spec),
  nadam: (spec) => new Nadam(spec),
  lion: (spec) => new Lion(spec),
};

/** Builds the optimizer a parsed spec (`parseOptimizerSpec`) describes. */
export function createOptimizer(spec: OptimizerSpec): TrainerOptimizer {
  const factory = FACTORIES[spec.name] as (spec: OptimizerSpec) => TrainerOptimizer;
  return factory(spec);
}
