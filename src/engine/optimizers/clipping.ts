/**
 * Gradient clipping as Keras 3 does it (keras/src/optimizers/base_optimizer.py `_clip_gradients`,
 * `_clip_by_norm`, `clip_by_global_norm`). Call inside `tf.tidy`.
 *
 * - clipNorm c, per tensor:        g <- g * c / max(||g||_2, c)
 * - globalClipNorm c, all tensors: N = sqrt(sum_i ||g_i||^2), g_i <- g_i * c * min(1/N, 1/c)
 *   (Keras adds N - N so that a non-finite N makes every gradient NaN instead of silently
 *   passing; we keep that)
 * - clipValue v, per element:      g <- clamp(g, -v, v)
 *
 * PyTorch's `clip_grad_norm_` uses c / (N + 1e-6) instead of c / max(N, c): same effect
 * up to that 1e-6.
 */
import * as tf from '@tensorflow/tfjs';

export interface ClipOptions {
  clipNorm?: number;
  globalClipNorm?: number;
  clipValue?: number;
}

export function clipGradients(grads: tf.Tensor[], options: ClipOptions): tf.Tensor[] {
  const { clipNorm, globalClipNorm, clipValue } = options;
  if (clipNorm !== undefined) {
    return grads.map((g) => tf.div(tf.mul(g, clipNorm), tf.maximum(tf.sqrt(tf.sum(tf.square(g))), clipNorm)));
  }
  if (globalClipNorm !== undefined && grads.length > 0) {
    const norm = tf.sqrt(tf.sum(tf.stack(grads.map((g) => tf.sum(tf.square(g))))));
    const finite = tf.mul(globalClipNorm, tf.minimum(tf.div(1, norm), 1 / globalClipNorm));
    const scale = tf.add(finite, tf.sub(norm, norm));
    return grads.map((g) => tf.mul(g, scale));
  }
  if (clipValue !== undefined) {
    return grads.map((g) => tf.clipByValue(g, -clipValue, clipValue));
  }
  return grads;
}
