/**
 * Nadam (Adam with Nesterov momentum): Keras 3 `keras.optimizers.Nadam`
 * (keras/src/optimizers/nadam.py). Dozat, "Incorporating Nesterov Momentum into Adam",
 * ICLR 2016 workshop (CS229 report, 2015).
 *
 * Keras 3's momentum-cache schedule ("warming up" b1, after Dozat):
 *   u_t  = b1 * (1 - 0.5 * 0.96^t)
 *   P_t  = u_1 * u_2 * ... * u_t               (Keras keeps it in a variable, `u_product`)
 *
 *   t = iterations + 1
 *   m <- m + (g - m) * (1 - b1)
 *   v <- v + (g^2 - v) * (1 - b2)
 *   m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
 *   v_hat = v / (1 - b2^t)
 *   w <- w - lr * m_hat / (sqrt(v_hat) + eps)
 *
 * Note on the schedule: Dozat's paper (and PyTorch) use u_t = b1 * (1 - 0.5 * 0.96^(0.004 t)),
 * u_t creeping towards b1 over thousands of steps; Keras 3's code computes `ops.power(0.96, t)`,
 * without the 0.004, so u_t reaches b1 within ~100 steps. We follow Keras 3's code: its golden
 * test (nadam_test.py, first value 0.4281) is only met with 0.96^t; 0.96^(0.004 t) gives 0.4339.
 * P_t is recomputed in float64 from the iteration count (so it is not optimizer state), where
 * Keras multiplies it up in float32.
 *
 * PyTorch's NAdam uses the paper's 0.96^(0.004 t) via `momentum_decay=0.004` and adds eps to the
 * bias-corrected sqrt(v_hat) just like here; its defaults are lr 0.002 and eps 1e-8.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerOptimizer, type SlotSpec, type Slots, type StepContext } from './base.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class Nadam extends TrainerOptimizer {
  static override readonly className = 'TrainerNadam';
  /** Memo of P_t: updates usually arrive with t = previous t + 1 (one multiplication). */
  private product = { t: 0, value: 1 };

  constructor(private readonly spec: SpecOf<'nadam'>) {
    super(spec);
  }

  protected slotSpecs(): readonly SlotSpec[] {
    return [
      { name: 'momentum', initialValue: 0 },
      { name: 'velocity', initialValue: 0 },
    ];
  }

  private u(t: number): number {
    return this.spec.beta1 * (1 - 0.5 * Math.pow(0.96, t));
  }

  /** P_t = u_1 ... u_t, multiplied in the same order whichever way t is reached. */
  private uProduct(t: number): number {
    if (t < this.product.t) this.product = { t: 0, value: 1 };
    let { t: done, value } = this.product;
    while (done < t) value *= this.u(++done);
    this.product = { t, value };
    return value;
  }

  protected override fusedStep({ lr, t }: StepContext) {
    const { beta1, beta2, epsilon } = this.spec;
    const productT = this.uProduct(t);
    const uNext = this.u(t + 1);
    return {
      rule: 'nadam' as const,
      c: [1 - beta1, 1 - beta2, uNext, 1 - productT * uNext, 1 - this.u(t), 1 - productT, 1 - Math.pow(beta2, t), lr, epsilon],
    };
  }

  protected updateStep(variable: tf.Variable, g: tf.Tensor, slots: Slots, { lr, t }: StepContext): void {
    const { beta1, beta2, epsilon } = this.spec;
    const uT = this.u(t);
    const uNext = this.u(t + 1);
    const productT = this.uProduct(t);
    const productNext = productT * uNext;
    const m = tf.add(slots.momentum, tf.mul(tf.sub(g, slots.momentum), 1 - beta1));
    const v = tf.add(slots.velocity, tf.mul(tf.sub(tf.square(g), slots.velocity), 1 - beta2));
    slots.momentum.assign(m);
    slots.velocity.assign(v);
    const mHat = tf.add(tf.div(tf.mul(uNext, m), 1 - productNext), tf.div(tf.mul(1 - uT, g), 1 - productT));
    const vHat = tf.div(v, 1 - Math.pow(beta2, t));
    variable.assign(tf.sub(variable, tf.div(tf.mul(mHat, lr), tf.add(tf.sqrt(vHat), epsilon))));
  }
}
