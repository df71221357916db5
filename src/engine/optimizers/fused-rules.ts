/**
 * Every optimizer's update rule as one loop over a variable's elements, for the fused update
 * kernel (fused-kernel.ts): one kernel call per variable instead of 5–15 (an Adam update was
 * sub, mul, add, square, sub, mul, add, mul, sqrt, add, div, sub and the assigns).
 *
 * Each line repeats the unfused rule of its optimizer file (adam.ts, sgd.ts, …) operation by
 * operation, rounding to float32 after each one (`f` = Math.fround), with every scalar rounded
 * to float32 as TensorFlow.js does when it makes a scalar tensor of a JS number. +, −, ×, ÷ and
 * √ of float32 values computed in float64 and rounded once give the float32 result exactly
 * (float64 has more than 2·24 + 2 bits), so the fused update equals the unfused one bit for bit
 * on a backend whose kernels are IEEE float32 without fused multiply-add (cpu, wasm);
 * test/engine/optimizers/fused.test.ts checks that for every optimizer and option.
 *
 * `c` holds the rule's scalars, computed per step by the optimizer (`fusedStep`); `w`/`s` are
 * the variable and its slots before the update, `W`/`S` receive them after (W may be w).
 */
const f = Math.fround;

export type FusedRule = (
  n: number,
  w: Float32Array,
  g: Float32Array,
  s: Float32Array[],
  W: Float32Array,
  S: Float32Array[],
  c: number[],
) => void;

export const FUSED_RULES = {
  /** c = [lr] */
  sgd(n, w, g, _s, W, _S, [lr]) {
    for (let i = 0; i < n; i++) W[i] = f(w[i] - f(g[i] * lr));
  },
  /** c = [momentum, lr, nesterov 0/1] */
  momentum(n, w, g, [m0], W, [M], [mu, lr, nesterov]) {
    for (let i = 0; i < n; i++) {
      const gl = f(g[i] * lr);
      const m = f(f(m0[i] * mu) - gl);
      M[i] = m;
      W[i] = f(w[i] + (nesterov ? f(f(m * mu) - gl) : m));
    }
  },
  /** c = [1 − β1, 1 − β2, lr_t, ε, amsgrad 0/1]; slots momentum, velocity[, velocityHat] */
  adam(n, w, g, [m0, v0, vh0], W, [M, V, VH], [b1c, b2c, alpha, eps, amsgrad]) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const m = f(m0[i] + f(f(gi - m0[i]) * b1c));
      let v = f(v0[i] + f(f(f(gi * gi) - v0[i]) * b2c));
      M[i] = m;
      V[i] = v;
      if (amsgrad) {
        v = Math.max(vh0[i], v);
        VH[i] = v;
      }
      W[i] = f(w[i] - f(f(m * alpha) / f(f(Math.sqrt(v)) + eps)));
    }
  },
  /** c = [lr, ε]; slot accumulator */
  adagrad(n, w, g, [a0], W, [A], [lr, eps]) {
    for (let i = 0; i < n; i++) {
      const a = f(a0[i] + f(g[i] * g[i]));
      A[i] = a;
      W[i] = f(w[i] - f(f(lr * g[i]) / f(Math.sqrt(f(a + eps)))));
    }
  },
  /** c = [ρ, 1 − ρ, ε, lr, momentum, centered 0/1]; slots velocity[, momentum][, averageGradient] */
  rmsprop(n, w, g, s, W, S, [rho, rhoc, eps, lr, mu, centered]) {
    const [v0, V] = [s[0], S[0]];
    const [m0, M] = mu > 0 ? [s[1], S[1]] : [s[0], S[0]];
    const ag = centered ? s.length - 1 : -1;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const v = f(f(rho * v0[i]) + f(rhoc * f(gi * gi)));
      V[i] = v;
      let denominator: number;
      if (centered) {
        const mg = f(f(rho * s[ag][i]) + f(rhoc * gi));
        S[ag][i] = mg;
        denominator = f(f(v - f(mg * mg)) + eps);
      } else {
        denominator = f(v + eps);
      }
      const increment = f(f(lr * gi) / f(Math.sqrt(denominator)));
      if (mu > 0) {
        const m = f(f(mu * m0[i]) + increment);
        M[i] = m;
        W[i] = f(w[i] - m);
      } else {
        W[i] = f(w[i] - increment);
      }
    }
  },
  /** c = [ρ, 1 − ρ, ε, lr]; slots accumulatedGrad, accumulatedDeltaVar */
  adadelta(n, w, g, [eg0, dv0], W, [EG, DV], [rho, rhoc, eps, lr]) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const eg = f(f(rho * eg0[i]) + f(rhoc * f(gi * gi)));
      const delta = -f(f(f(Math.sqrt(f(dv0[i] + eps))) * gi) / f(Math.sqrt(f(eg + eps))));
      EG[i] = eg;
      DV[i] = f(f(rho * dv0[i]) + f(rhoc * f(delta * delta)));
      W[i] = f(w[i] + f(lr * delta));
    }
  },
  /** c = [1 − β1, β2, 1 − β1^t, ε, lr]; slots momentum, norm */
  adamax(n, w, g, [m0, u0], W, [M, U], [b1c, b2, bias, eps, lr]) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const m = f(m0[i] + f(f(gi - m0[i]) * b1c));
      const u = Math.max(f(b2 * u0[i]), Math.abs(gi));
      M[i] = m;
      U[i] = u;
      W[i] = f(w[i] - f(f(lr * m) / f(bias * f(u + eps))));
    }
  },
  /** c = [1 − β1, 1 − β2, u_{t+1}, 1 − P_{t+1}, 1 − u_t, 1 − P_t, 1 − β2^t, lr, ε]; slots momentum, velocity */
  nadam(n, w, g, [m0, v0], W, [M, V], [b1c, b2c, uNext, pNext, uT, pT, b2t, lr, eps]) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const m = f(m0[i] + f(f(gi - m0[i]) * b1c));
      const v = f(v0[i] + f(f(f(gi * gi) - v0[i]) * b2c));
      M[i] = m;
      V[i] = v;
      const mHat = f(f(f(uNext * m) / pNext) + f(f(uT * gi) / pT));
      const vHat = f(v / b2t);
      W[i] = f(w[i] - f(f(mHat * lr) / f(f(Math.sqrt(vHat)) + eps)));
    }
  },
  /** c = [β1, 1 − β1, β2, 1 − β2, lr]; slot momentum */
  lion(n, w, g, [m0], W, [M], [b1, b1c, b2, b2c, lr]) {
    for (let i = 0; i < n; i++) {
      const direction = Math.sign(f(f(m0[i] * b1) + f(g[i] * b1c)));
      W[i] = f(w[i] - f(lr * direction));
      M[i] = f(f(m0[i] * b2) + f(g[i] * b2c));
    }
  },
} satisfies Record<string, FusedRule>;

export type FusedRuleName = keyof typeof FUSED_RULES;

/** Decoupled weight decay before the rule (base.ts step 3): w <- w - (w · wd) · lr. */
export function decay(n: number, w: Float32Array, W: Float32Array, wd: number, lr: number): void {
  for (let i = 0; i < n; i++) W[i] = f(w[i] - f(f(w[i] * wd) * lr));
}
