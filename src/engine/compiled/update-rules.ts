/**
 * Every optimizer's update rule as TensorFlow graph ops, for the compiled step. Each rule
 * repeats its line in optimizers/fused-rules.ts operation by operation (which repeats the
 * optimizer's own unfused rule): the same scalars `c`, computed per step by the optimizer and
 * fed as float32, the same order of float32 operations. Structural flags among the scalars
 * (amsgrad, nesterov, centered, momentum > 0) are fixed for a job, so they are read once, from
 * the first step's scalars `c0`, when the graph is built.
 */
import type { FusedRuleName } from '../optimizers/fused-rules.ts';
import type { Ref } from './addon.ts';
import type { Graph } from './graph.ts';

export interface RuleInputs {
  /** The variable, its gradient and its slots (in slotSpecs order), before the update. */
  w: Ref;
  g: Ref;
  s: Ref[];
  /** This step's scalars as graph values, and the first step's as numbers (for the flags). */
  c: Ref[];
  c0: readonly number[];
}

/** The variable and its slots after the update. */
export interface RuleOutputs {
  w: Ref;
  s: Ref[];
}

type GraphRule = (g: Graph, inputs: RuleInputs) => RuleOutputs;

export const GRAPH_RULES: { readonly [R in FusedRuleName]: GraphRule } = {
  /** w − g·lr */
  sgd: (G, { w, g, c: [lr] }) => ({ w: G.sub(w, G.mul(g, lr)), s: [] }),
  /** m = m0·μ − g·lr;  w + (nesterov ? m·μ − g·lr : m) */
  momentum: (G, { w, g, s: [m0], c: [mu, lr], c0 }) => {
    const gl = G.mul(g, lr);
    const m = G.sub(G.mul(m0, mu), gl);
    return { w: G.add(w, c0[2] ? G.sub(G.mul(m, mu), gl) : m), s: [m] };
  },
  /** m = m0 + (g − m0)(1 − β1);  v = v0 + (g² − v0)(1 − β2);  [vh = max(vh0, v)];  w − m·α / (√v + ε) */
  adam: (G, { w, g, s: [m0, v0, vh0], c: [b1c, b2c, alpha, eps], c0 }) => {
    const m = G.add(m0, G.mul(G.sub(g, m0), b1c));
    const v = G.add(v0, G.mul(G.sub(G.mul(g, g), v0), b2c));
    const vUsed = c0[4] ? G.maximum(vh0, v) : v;
    const next = G.sub(w, G.div(G.mul(m, alpha), G.add(G.sqrt(vUsed), eps)));
    return { w: next, s: c0[4] ? [m, v, vUsed] : [m, v] };
  },
  /** a = a0 + g²;  w − lr·g / √(a + ε) */
  adagrad: (G, { w, g, s: [a0], c: [lr, eps] }) => {
    const a = G.add(a0, G.mul(g, g));
    return { w: G.sub(w, G.div(G.mul(lr, g), G.sqrt(G.add(a, eps)))), s: [a] };
  },
  /**
   * v = ρ·v0 + (1 − ρ)·g²;  centered: mg = ρ·mg0 + (1 − ρ)·g, d = (v − mg²) + ε, else d = v + ε;
   * inc = lr·g / √d;  momentum μ > 0: m = μ·m0 + inc, w − m; else w − inc
   */
  rmsprop: (G, { w, g, s, c: [rho, rhoc, eps, lr, mu], c0 }) => {
    const [withMomentum, centered] = [c0[4] > 0, c0[5] !== 0];
    const v = G.add(G.mul(rho, s[0]), G.mul(rhoc, G.mul(g, g)));
    const out = [v];
    let denominator: Ref;
    if (centered) {
      const mg = G.add(G.mul(rho, s[s.length - 1]), G.mul(rhoc, g));
      denominator = G.add(G.sub(v, G.mul(mg, mg)), eps);
      out[s.length - 1] = mg;
    } else {
      denominator = G.add(v, eps);
    }
    const increment = G.div(G.mul(lr, g), G.sqrt(denominator));
    if (!withMomentum) return { w: G.sub(w, increment), s: out };
    const m = G.add(G.mul(mu, s[1]), increment);
    out[1] = m;
    return { w: G.sub(w, m), s: out };
  },
  /** eg = ρ·eg0 + (1 − ρ)·g²;  δ = −(√(dv0 + ε)·g / √(eg + ε));  dv = ρ·dv0 + (1 − ρ)·δ²;  w + lr·δ */
  adadelta: (G, { w, g, s: [eg0, dv0], c: [rho, rhoc, eps, lr] }) => {
    const eg = G.add(G.mul(rho, eg0), G.mul(rhoc, G.mul(g, g)));
    const delta = G.neg(G.div(G.mul(G.sqrt(G.add(dv0, eps)), g), G.sqrt(G.add(eg, eps))));
    const dv = G.add(G.mul(rho, dv0), G.mul(rhoc, G.mul(delta, delta)));
    return { w: G.add(w, G.mul(lr, delta)), s: [eg, dv] };
  },
  /** m = m0 + (g − m0)(1 − β1);  u = max(β2·u0, |g|);  w − lr·m / ((1 − β1^t)(u + ε)) */
  adamax: (G, { w, g, s: [m0, u0], c: [b1c, b2, bias, eps, lr] }) => {
    const m = G.add(m0, G.mul(G.sub(g, m0), b1c));
    const u = G.maximum(G.mul(b2, u0), G.abs(g));
    return { w: G.sub(w, G.div(G.mul(lr, m), G.mul(bias, G.add(u, eps)))), s: [m, u] };
  },
  /**
   * m, v as Adam;  m̂ = u_{t+1}·m / (1 − P_{t+1}) + u_t·g / (1 − P_t);  v̂ = v / (1 − β2^t);
   * w − m̂·lr / (√v̂ + ε)   (c holds 1 − u_t, 1 − P_t as given)
   */
  nadam: (G, { w, g, s: [m0, v0], c: [b1c, b2c, uNext, pNext, uT, pT, b2t, lr, eps] }) => {
    const m = G.add(m0, G.mul(G.sub(g, m0), b1c));
    const v = G.add(v0, G.mul(G.sub(G.mul(g, g), v0), b2c));
    const mHat = G.add(G.div(G.mul(uNext, m), pNext), G.div(G.mul(uT, g), pT));
    const vHat = G.div(v, b2t);
    return { w: G.sub(w, G.div(G.mul(mHat, lr), G.add(G.sqrt(vHat), eps))), s: [m, v] };
  },
  /** w − lr·sign(m0·β1 + g·(1 − β1));  m = m0·β2 + g·(1 − β2) */
  lion: (G, { w, g, s: [m0], c: [b1, b1c, b2, b2c, lr] }) => {
    const direction = G.sign(G.add(G.mul(m0, b1), G.mul(g, b1c)));
    return { w: G.sub(w, G.mul(lr, direction)), s: [G.add(G.mul(m0, b2), G.mul(g, b2c))] };
  },
};

/** Decoupled weight decay before the rule (optimizers/base.ts step 3): w − (w·wd)·lr. */
export function graphDecay(G: Graph, w: Ref, wd: Ref, lr: Ref): Ref {
  return G.sub(w, G.mul(G.mul(w, wd), lr));
}

/** The flags among a rule's scalars that shape its graph (see the file's comment), by rule. */
export function structuralFlags(rule: FusedRuleName, c0: readonly number[]): number[] {
  switch (rule) {
    case 'momentum':
      return [c0[2]];
    case 'adam':
      return [c0[4]];
    case 'rmsprop':
      return [c0[4] > 0 ? 1 : 0, c0[5] !== 0 ? 1 : 0];
    default:
      return [];
  }
}
