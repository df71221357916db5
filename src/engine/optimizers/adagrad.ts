/**
 * Adagrad: Keras 3 `keras.optimizers.Adagrad` (keras/src/optimizers/adagrad.py).
 * Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization", JMLR 2011.
 *
 *   a <- a + g^2                      (a starts at initialAccumulatorValue, default 0.1)
 *   w <- w - lr * g / sqrt(a + eps)   (epsilon inside the square root)
 *
 * PyTorch: accumulator starts at 0, eps is added outside the root (sqrt(a) + eps, default 1e-10),
 * default lr 0.01 and an optional lr_decay.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Adagrad extends TrainerOptimizer {
  static override readonly className = 'TrainerAdagrad';

  constructor(private readonly spec: SpecOf<'adagrad'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return [{ name: 'accumulator', initialValue: this.spec.initialAccumulatorValue }];
  }

  protected override fusedStep({ lr }: StepContext) {
    return { rule: 'adagrad' as const, c: [lr, this.spec.epsilon] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr }: StepContext): void {
    const a = tf.add(slots.accumulator, tf.square(g));
    slots.accumulator.assign(a);
    variable.assign(tf.sub(variable, tf.div(tf.mul(lr, g), tf.sqrt(tf.add(a, this.spec.epsilon)))));
  }
}
