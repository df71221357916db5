/**
 * AdamW: Keras 3 `keras.optimizers.AdamW` (keras/src/optimizers/adamw.py) — Adam (adam.ts) whose
 * `weightDecay` defaults to 0.004 instead of none. Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019.
 *
 *   w <- w - w * weightDecay * lr      (base.ts, before the Adam step, with the scheduled lr)
 *   then the Adam (or AMSGrad) step of adam.ts
 *
 * PyTorch's AdamW: same decoupled form w *= 1 - lr * weight_decay, default weight_decay 0.01,
 * eps 1e-8 added to the bias-corrected sqrt(v_hat).
 */
import { Adam } from './adam.ts';
import type { SpecOf } from '../../domain/optimizer.ts';

export class AdamW extends Adam {
  static override readonly className: string = 'TrainerAdamW';

  constructor(spec: SpecOf<'adamw'>) {
    super(spec);
  }
}
