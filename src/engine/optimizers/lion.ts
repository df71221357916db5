/**
 * Lion (EvoLved Sign Momentum): Keras 3 `keras.optimizers.Lion` (keras/src/optimizers/lion.py).
 * Chen et al., "Symbolic Discovery of Optimization Algorithms", arXiv:2302.06675, 2023.
 *
 *   w <- w - lr * sign(b1 * m + (1 - b1) * g)
 *   m <- b2 * m + (1 - b2) * g
 *
 * One slot per variable (Adam keeps two); every element moves by exactly lr, so useful rates are
 * 3-10x smaller than AdamW's and weight decay 3-10x larger. sign(0) = 0. The reference
 * implementation (and lucidrains' PyTorch port) is identical, with decoupled decay.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Lion extends TrainerOptimizer {
  static override readonly className = 'TrainerLion';

  constructor(private readonly spec: SpecOf<'lion'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return [{ name: 'momentum', initialValue: 0 }];
  }

  protected override fusedStep({ lr }: StepContext) {
    const { beta1, beta2 } = this.spec;
    return { rule: 'lion' as const, c: [beta1, 1 - beta1, beta2, 1 - beta2, lr] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr }: StepContext): void {
    const { beta1, beta2 } = this.spec;
    const m = slots.momentum;
    const direction = tf.sign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    variable.assign(tf.sub(variable, tf.mul(lr, direction)));
    m.assign(tf.add(tf.mul(m, beta2), tf.mul(g, 1 - beta2)));
  }
}
