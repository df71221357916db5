/**
 * RMSprop: Keras 3 `keras.optimizers.RMSprop` (keras/src/optimizers/rmsprop.py).
 * Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e, 2012;
 * the centered variant from Graves, "Generating Sequences With Recurrent Neural Networks", 2013.
 *
 *   v <- rho * v + (1 - rho) * g^2
 *   centered:  mg <- rho * mg + (1 - rho) * g ;  den = v - mg^2 + eps
 *   otherwise: den = v + eps                               (epsilon inside the square root)
 *   inc = lr * g / sqrt(den)
 *   momentum > 0: m <- momentum * m + inc ; w <- w - m
 *   otherwise:    w <- w - inc
 *
 * tfjs 4.22's centered variant computes sqrt(v - (mg^2 + eps)) and goes NaN once v ~ mg^2
 * (a constant gradient). PyTorch adds eps outside the root (sqrt(den) + eps, default 1e-8),
 * default lr 0.01, rho ("alpha") 0.99.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class RMSprop extends TrainerOptimizer {
  static override readonly className = 'TrainerRMSprop';

  constructor(private readonly spec: SpecOf<'rmsprop'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    const slots: SlotSpec[] = [{ name: 'velocity', initialValue: 0 }];
    if (this.spec.momentum > 0) slots.push({ name: 'momentum', initialValue: 0 });
    if (this.spec.centered) slots.push({ name: 'averageGradient', initialValue: 0 });
    return slots;
  }

  protected override fusedStep({ lr }: StepContext) {
    const { rho, epsilon, momentum, centered } = this.spec;
    return { rule: 'rmsprop' as const, c: [rho, 1 - rho, epsilon, lr, momentum, centered ? 1 : 0] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr }: StepContext): void {
    const { rho, epsilon, momentum, centered } = this.spec;
    const v = tf.add(tf.mul(rho, slots.velocity), tf.mul(1 - rho, tf.square(g)));
    slots.velocity.assign(v);
    let denominator: tf.Tensor;
    if (centered) {
      const mg = tf.add(tf.mul(rho, slots.averageGradient), tf.mul(1 - rho, g));
      slots.averageGradient.assign(mg);
      denominator = tf.add(tf.sub(v, tf.square(mg)), epsilon);
    } else {
      denominator = tf.add(v, epsilon);
    }
    const increment = tf.div(tf.mul(lr, g), tf.sqrt(denominator));
    if (momentum > 0) {
      const m = tf.add(tf.mul(momentum, slots.momentum), increment);
      slots.momentum.assign(m);
      variable.assign(tf.sub(variable, m));
    } else {
      variable.assign(tf.sub(variable, increment));
    }
  }
}
