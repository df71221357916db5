/**
 * The maths of the fused training step for small dense models (dense-step.ts runs it as one
 * tfjs kernel): forward pass, loss, accuracy count and every weight's gradient in one pass over
 * plain arrays, no tfjs.
 *
 * The math follows tfjs-layers op for op, including its edge cases, in float64 rounded to
 * float32 at the end (test/engine/dense-step.test.ts checks loss and gradients against tfjs's
 * autodiff on every supported activation and loss):
 *   dense:  z = a·K + b,  a' = act(z)
 *   relu' = [z > 0];  sigmoid' = y(1 − y);  tanh' = 1 − y²;  softmax: dx = dy·y − y·Σ(dy·y)
 *   meanSquaredError:        mean_b mean_j (p − y)²
 *   binaryCrossentropy:      c = clip(p, ε, 1 − ε), x = log(c / (1 − c)),
 *                            l = max(x, 0) − x·z + log1p(exp(−|x|))   (mean over j, then b)
 *                            dl/dx = [x > 0] − z − sign(x)·e/(1 + e), e = exp(−|x|)  (tfjs's own,
 *                            which at x = 0 differs from sigmoid(x) − z), dx/dc = 1/(c(1 − c))
 *   (sparse)categoricalCrossentropy: q = p / Σp, c = clip(q, ε, 1 − ε), l = −Σ t·log c
 *   clip passes the gradient where ε ≤ value ≤ 1 − ε, as tfjs's clipByValue does.
 * The step is used only where it pays (dense layers only, these activations, cpu or wasm,
 * batch × parameters small: a JS loop is far slower than wasm's SIMD matMul on large layers),
 * and is chosen from the job's spec alone, so a job and its resumed attempts take the same path.
 */
import type { Loss } from '../domain/model.ts';
import type { DensePlan, StepActivation } from '../domain/dense-plan.ts';

/** tfjs-layers' epsilon(). */
const EPSILON = 1e-7;

export interface StepResult {
  loss: number;
  correct: number;
  /** One per weight, in model.trainableWeights order (kernel, then bias, per layer). */
  gradients: Float64Array[];
}

/** The step in float64 on plain arrays: x [B, n0], y (targets as the loss lays them out), weights in order. */
export function denseStep(
  plan: DensePlan,
  batch: number,
  x: Float32Array,
  y: Float32Array,
  classes: Float32Array | undefined,
  weights: Float32Array[],
): StepResult {
  const { layers, loss } = plan;
  const acts: Float64Array[] = [Float64Array.from(x)];
  const pre: Float64Array[] = [];
  let w = 0;
  const params = layers.map((l) => {
    const kernel = weights[w++];
    const bias = l.useBias ? weights[w++] : undefined;
    return { kernel, bias };
  });
  // Forward.
  layers.forEach((l, li) => {
    const a = acts[li];
    const { kernel, bias } = params[li];
    const z = new Float64Array(batch * l.units);
    for (let b = 0; b < batch; b++) {
      for (let u = 0; u < l.units; u++) {
        let s = bias ? bias[u] : 0;
        for (let i = 0; i < l.inputs; i++) s += a[b * l.inputs + i] * kernel[i * l.units + u];
        z[b * l.units + u] = s;
      }
    }
    pre.push(z);
    acts.push(activate(l.activation, z, batch, l.units));
  });
  const out = layers[layers.length - 1].units;
  const p = acts[acts.length - 1];
  const { value, grad } = lossAndGradient(loss, p, y, batch, out);
  // Backward.
  const gradients: Float64Array[] = [];
  let dA = grad;
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li];
    const dZ = activationGradient(l.activation, dA, pre[li], acts[li + 1], batch, l.units);
    const a = acts[li];
    const dK = new Float64Array(l.inputs * l.units);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < l.inputs; i++) {
        const ai = a[b * l.inputs + i];
        for (let u = 0; u < l.units; u++) dK[i * l.units + u] += ai * dZ[b * l.units + u];
      }
    }
    const layerGrads = [dK];
    if (l.useBias) {
      const db = new Float64Array(l.units);
      for (let b = 0; b < batch; b++) for (let u = 0; u < l.units; u++) db[u] += dZ[b * l.units + u];
      layerGrads.push(db);
    }
    gradients.unshift(...layerGrads);
    if (li > 0) {
      const kernel = params[li].kernel;
      const next = new Float64Array(batch * l.inputs);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < l.inputs; i++) {
          let s = 0;
          for (let u = 0; u < l.units; u++) s += dZ[b * l.units + u] * kernel[i * l.units + u];
          next[b * l.inputs + i] = s;
        }
      }
      dA = next;
    }
  }
  return { loss: value, correct: classes ? countCorrect(p, classes, batch, out) : 0, gradients };
}

function activate(activation: StepActivation, z: Float64Array, batch: number, units: number): Float64Array {
  const a = new Float64Array(z.length);
  switch (activation) {
    case 'linear':
      a.set(z);
      break;
    case 'relu':
      for (let i = 0; i < z.length; i++) a[i] = z[i] > 0 ? z[i] : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < z.length; i++) a[i] = 1 / (1 + Math.exp(-z[i]));
      break;
    case 'tanh':
      for (let i = 0; i < z.length; i++) a[i] = Math.tanh(z[i]);
      break;
    case 'softmax':
      for (let b = 0; b < batch; b++) {
        let max = -Infinity;
        for (let u = 0; u < units; u++) max = Math.max(max, z[b * units + u]);
        let sum = 0;
        for (let u = 0; u < units; u++) sum += a[b * units + u] = Math.exp(z[b * units + u] - max);
        for (let u = 0; u < units; u++) a[b * units + u] /= sum;
      }
      break;
  }
  return a;
}

function activationGradient(
  activation: StepActivation,
  dy: Float64Array,
  z: Float64Array,
  y: Float64Array,
  batch: number,
  units: number,
): Float64Array {
  const dx = new Float64Array(dy.length);
  switch (activation) {
    case 'linear':
      dx.set(dy);
      break;
    case 'relu':
      for (let i = 0; i < dy.length; i++) dx[i] = z[i] > 0 ? dy[i] : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      break;
    case 'tanh':
      for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      break;
    case 'softmax':
      for (let b = 0; b < batch; b++) {
        let s = 0;
        for (let u = 0; u < units; u++) s += dy[b * units + u] * y[b * units + u];
        for (let u = 0; u < units; u++) dx[b * units + u] = dy[b * units + u] * y[b * units + u] - s * y[b * units + u];
      }
      break;
  }
  return dx;
}

const clip = (v: number) => Math.min(Math.max(v, EPSILON), 1 - EPSILON);
const inClip = (v: number) => v >= EPSILON && v <= 1 - EPSILON;

function lossAndGradient(
  loss: Loss,
  p: Float64Array,
  y: Float32Array,
  batch: number,
  width: number,
): { value: number; grad: Float64Array } {
  const grad = new Float64Array(p.length);
  let sum = 0;
  if (loss === 'meanSquaredError') {
    const n = batch * width;
    for (let i = 0; i < n; i++) {
      const d = p[i] - y[i];
      sum += d * d;
      grad[i] = (2 * d) / n;
    }
    return { value: sum / n, grad };
  }
  if (loss === 'binaryCrossentropy') {
    const n = batch * width;
    for (let i = 0; i < n; i++) {
      const c = clip(p[i]);
      const x = Math.log(c / (1 - c));
      const e = Math.exp(-Math.abs(x));
      sum += Math.max(x, 0) - x * y[i] + Math.log1p(e);
      const dx = (x > 0 ? 1 : 0) - y[i] - Math.sign(x) * (e / (1 + e));
      grad[i] = inClip(p[i]) ? dx / (c * (1 - c)) / n : 0;
    }
    return { value: sum / n, grad };
  }
  // categorical and sparse categorical (targets as class indices, one per example)
  const sparse = loss === 'sparseCategoricalCrossentropy';
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let j = 0; j < width; j++) s += p[b * width + j];
    let gp = 0; // Σ_j g_j · p_j, for the normalisation's gradient
    const g = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      const t = sparse ? (y[b] === j ? 1 : 0) : y[b * width + j];
      const q = p[b * width + j] / s;
      const c = clip(q);
      if (t !== 0) sum -= t * Math.log(c);
      g[j] = inClip(q) ? -t / c / batch : 0;
      gp += g[j] * p[b * width + j];
    }
    for (let j = 0; j < width; j++) grad[b * width + j] = g[j] / s - gp / (s * s);
  }
  return { value: sum / batch, grad };
}

/** As losses.ts countCorrect: > 0.5 for one output, the first maximum for several. */
function countCorrect(p: Float64Array, classes: Float32Array, batch: number, width: number): number {
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    let predicted = 0;
    if (width === 1) predicted = Math.fround(p[b]) > 0.5 ? 1 : 0;
    else for (let j = 1; j < width; j++) if (Math.fround(p[b * width + j]) > Math.fround(p[b * width + predicted])) predicted = j;
    if (predicted === Math.trunc(classes[b])) correct++;
  }
  return correct;
}
