/**
 * SGD, with optional momentum and Nesterov momentum: Keras 3 `keras.optimizers.SGD`
 * (keras/src/optimizers/sgd.py). Serves the names `sgd`, `momentum` and `nesterov`.
 *
 *   momentum = 0:   w <- w - lr * g
 *   momentum > 0:   m <- mu * m - lr * g ;  w <- w + m
 *   nesterov:       m <- mu * m - lr * g ;  w <- w + mu * m - lr * g
 *
 * Nesterov momentum: Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and
 * momentum in deep learning", ICML 2013. The velocity carries the learning rate (lr changes
 * scale new gradients only). PyTorch keeps b <- mu * b + g and steps w <- w - lr * b: the same
 * trajectory for a constant lr, different when the lr changes (PyTorch rescales the whole
 * accumulated velocity by the new lr); PyTorch also has `dampening`, Keras does not.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class SGD extends TrainerOptimizer {
  static override readonly className = 'TrainerSGD';
  private readonly momentum: number;
  private readonly nesterov: boolean;

  constructor(spec: SpecOf<'sgd'> | SpecOf<'momentum'> | SpecOf<'nesterov'>) {
    super(spec);
    this.momentum = spec.momentum;
    this.nesterov = spec.name === 'nesterov' || ('nesterov' in spec && spec.nesterov);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return this.momentum !== 0 ? [{ name: 'momentum', initialValue: 0 }] : [];
  }

  protected override fusedStep({ lr }: StepContext) {
    return this.momentum === 0
      ? { rule: 'sgd' as const, c: [lr] }
      : { rule: 'momentum' as const, c: [this.momentum, lr, this.nesterov ? 1 : 0] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr }: StepContext): void {
    if (this.momentum === 0) {
      variable.assign(tf.sub(variable, tf.mul(g, lr)));
      return;
    }
    const m = tf.sub(tf.mul(slots.momentum, this.momentum), tf.mul(g, lr));
    slots.momentum.assign(m);
    const step = this.nesterov ? tf.sub(tf.mul(m, this.momentum), tf.mul(g, lr)) : m;
    variable.assign(tf.add(variable, step));
  }
}
