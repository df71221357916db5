/**
 * Adam, and AMSGrad with `amsgrad: true`: Keras 3 `keras.optimizers.Adam`
 * (keras/src/optimizers/adam.py). Kingma & Ba, "Adam: A Method for Stochastic Optimization",
 * ICLR 2015; AMSGrad: Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
 *
 *   t = iterations + 1
 *   m <- m + (g - m) * (1 - b1)
 *   v <- v + (g^2 - v) * (1 - b2)
 *   amsgrad: vh <- max(vh, v) ; use vh in place of v below
 *   w <- w - lr_t * m / (sqrt(v) + eps),   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)
 *
 * The bias correction is folded into lr_t, so eps is the paper's "epsilon hat" (Section 2,
 * before 2.1), not Algorithm 1's eps: Keras' eps = 1e-7 weighs like eps * sqrt(1 - b2^t) in
 * PyTorch's form w -= lr * m_hat / (sqrt(v_hat) + eps) (PyTorch default eps 1e-8). PyTorch's
 * AMSGrad also keeps the max of the raw v. PyTorch's `weight_decay` on Adam is L2 (added to the
 * gradient); ours is decoupled (see AdamW).
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Adam extends TrainerOptimizer {
  static override readonly className: string = 'TrainerAdam';

  constructor(private readonly spec: SpecOf<'adam'> | SpecOf<'adamw'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    const slots = [
      { name: 'momentum', initialValue: 0 },
      { name: 'velocity', initialValue: 0 },
    ];
    return this.spec.amsgrad ? [...slots, { name: 'velocityHat', initialValue: 0 }] : slots;
  }

  protected override fusedStep({ lr, t }: StepContext) {
    const { beta1, beta2, epsilon, amsgrad } = this.spec;
    const alpha = (lr * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    return { rule: 'adam' as const, c: [1 - beta1, 1 - beta2, alpha, epsilon, amsgrad ? 1 : 0] };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr, t }: StepContext): void {
    const { beta1, beta2, epsilon, amsgrad } = this.spec;
    const alpha = (lr * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    const m = tf.add(slots.momentum, tf.mul(tf.sub(g, slots.momentum), 1 - beta1));
    let v = tf.add(slots.velocity, tf.mul(tf.sub(tf.square(g), slots.velocity), 1 - beta2));
    slots.momentum.assign(m);
    slots.velocity.assign(v);
    if (amsgrad) {
      v = tf.maximum(slots.velocityHat, v);
      slots.velocityHat.assign(v);
    }
    variable.assign(tf.sub(variable, tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(v), epsilon))));
  }
}
