/**
 * Adamax: Keras 3 `keras.optimizers.Adamax` (keras/src/optimizers/adamax.py).
 * Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Section 7.1.
 *
 *   t = iterations + 1
 *   m <- m + (g - m) * (1 - b1)
 *   u <- max(b2 * u, |g|)
 *   w <- w - lr * m / ((1 - b1^t) * (u + eps))
 *
 * PyTorch: u <- max(b2 * u, |g| + eps) (eps inside the max, default 1e-8), default lr 0.002.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Adamax extends TrainerOptimizer {
  static override readonly className = 'TrainerAdamax';

  constructor(private readonly spec: SpecOf<'adamax'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return [
      { name: 'momentum', initialValue: 0 },
      { name: 'norm', initialValue: 0 },
    ];
  }

  protected override fusedStep({ lr, t }: StepContext) {
    const { beta1, beta2, epsilon } = this.spec;
    return { rule: 'adamax' as const, c: [1 - beta1, beta2, 1 - Math.pow(beta1, t), epsilon, lr] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr, t }: StepContext): void {
    const { beta1, beta2, epsilon } = this.spec;
    const m = tf.add(slots.momentum, tf.mul(tf.sub(g, slots.momentum), 1 - beta1));
    const u = tf.maximum(tf.mul(beta2, slots.norm), tf.abs(g));
    slots.momentum.assign(m);
    slots.norm.assign(u);
    const denominator = tf.mul(1 - Math.pow(beta1, t), tf.add(u, epsilon));
    variable.assign(tf.sub(variable, tf.div(tf.mul(lr, m), denominator)));
  }
}
