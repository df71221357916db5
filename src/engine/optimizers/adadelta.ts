/**
 * Adadelta: Keras 3 `keras.optimizers.Adadelta` (keras/src/optimizers/adadelta.py).
 * Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012.
 *
 *   Eg  <- rho * Eg + (1 - rho) * g^2                      (updated FIRST, then used)
 *   d   <- -sqrt(Edx + eps) / sqrt(Eg + eps) * g
 *   Edx <- rho * Edx + (1 - rho) * d^2
 *   w   <- w + lr * d
 *
 * Dividing by the freshly updated Eg is what makes the step adapt: the first step is about
 * lr * sqrt(eps / (1 - rho)) * sign(g), not lr * g. tfjs 4.22 divides by the stale Eg, so
 * with a constant gradient its updates equal plain SGD's.
 * lr = 1.0 gives the paper's method; Keras and we default to 0.001. PyTorch: same rule,
 * default lr 1.0, rho 0.9, eps 1e-6.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Adadelta extends TrainerOptimizer {
  static override readonly className = 'TrainerAdadelta';

  constructor(private readonly spec: SpecOf<'adadelta'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return [
      { name: 'accumulatedGrad', initialValue: 0 },
      { name: 'accumulatedDeltaVar', initialValue: 0 },
    ];
  }

  protected override fusedStep({ lr }: StepContext) {
    const { rho, epsilon } = this.spec;
    return { rule: 'adadelta' as const, c: [rho, 1 - rho, epsilon, lr] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr }: StepContext): void {
    const { rho, epsilon } = this.spec;
    const rms = (x: tf.Tensor) => tf.sqrt(tf.add(x, epsilon));
    const eg = tf.add(tf.mul(rho, slots.accumulatedGrad), tf.mul(1 - rho, tf.square(g)));
    slots.accumulatedGrad.assign(eg);
    const delta = tf.neg(tf.div(tf.mul(rms(slots.accumulatedDeltaVar), g), rms(eg)));
    slots.accumulatedDeltaVar.assign(tf.add(tf.mul(rho, slots.accumulatedDeltaVar), tf.mul(1 - rho, tf.square(delta))));
    variable.assign(tf.add(variable, tf.mul(lr, delta)));
  }
}
