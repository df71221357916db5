/**
 * A float64 reference for every optimizer, written straight from the Keras 3 update rules with
 * plain numbers and arrays. It shares no code with src/engine/optimizers (on purpose: a bug there must
 * not be copied here). Every option must be given explicitly: no defaults.
 *
 * Order of one update, as in Keras 3 BaseOptimizer: lr = lr(iterations); clip; weight decay;
 * rule with t = iterations + 1; iterations += 1.
 */
export type Vec = number[];

export interface RefOptions {
  name: 'sgd' | 'adagrad' | 'adadelta' | 'rmsprop' | 'adam' | 'adamax' | 'nadam' | 'lion';
  /** A constant, or the rate as a function of the iteration count. */
  lr: number | ((iterations: number) => number);
  momentum?: number;
  nesterov?: boolean;
  rho?: number;
  epsilon?: number;
  centered?: boolean;
  beta1?: number;
  beta2?: number;
  amsgrad?: boolean;
  initialAccumulatorValue?: number;
  weightDecay?: number;
  clipNorm?: number;
  globalClipNorm?: number;
  clipValue?: number;
}

type State = Record<string, Vec>;

function need(value: number | boolean | undefined, what: string): number {
  if (typeof value !== 'number') throw new Error(`reference: option ${what} is required`);
  return value;
}

const norm = (g: Vec) => Math.sqrt(g.reduce((s, x) => s + x * x, 0));

function clip(grads: Vec[], o: RefOptions): Vec[] {
  if (o.clipNorm !== undefined) {
    const c = o.clipNorm;
    return grads.map((g) => {
      const n = norm(g);
      return n > c ? g.map((x) => (x * c) / n) : g.slice();
    });
  }
  if (o.globalClipNorm !== undefined) {
    const c = o.globalClipNorm;
    const n = Math.sqrt(grads.reduce((s, g) => s + norm(g) ** 2, 0));
    return grads.map((g) => (n > c ? g.map((x) => (x * c) / n) : g.slice()));
  }
  if (o.clipValue !== undefined) {
    const c = o.clipValue;
    return grads.map((g) => g.map((x) => Math.min(c, Math.max(-c, x))));
  }
  return grads.map((g) => g.slice());
}

export class RefOptimizer {
  iterations = 0;
  private readonly states: State[] = [];

  constructor(private readonly o: RefOptions) {}

  private lrAt(iterations: number): number {
    return typeof this.o.lr === 'number' ? this.o.lr : this.o.lr(iterations);
  }

  /** Updates `params` in place. */
  step(params: Vec[], rawGrads: Vec[]): void {
    const lr = this.lrAt(this.iterations);
    const t = this.iterations + 1;
    const grads = clip(rawGrads, this.o);
    params.forEach((w, i) => {
      if (this.o.weightDecay !== undefined) {
        for (let k = 0; k < w.length; k++) w[k] = w[k] - w[k] * this.o.weightDecay * lr;
      }
      this.states[i] ??= {};
      for (let k = 0; k < w.length; k++) {
        w[k] = this.element(this.states[i], k, w[k], grads[i][k], lr, t);
      }
    });
    this.iterations += 1;
  }

  /** One element's update; `s` holds that variable's slots, element k. */
  private element(s: State, k: number, w: number, g: number, lr: number, t: number): number {
    const o = this.o;
    const slot = (name: string, init = 0): number => {
      s[name] ??= [];
      s[name][k] ??= init;
      return s[name][k];
    };
    const set = (name: string, value: number) => (s[name][k] = value);
    switch (o.name) {
      case 'sgd': {
        const mu = need(o.momentum, 'momentum');
        if (mu === 0) return w - lr * g;
        const m = mu * slot('m') - lr * g;
        set('m', m);
        return o.nesterov ? w + mu * m - lr * g : w + m;
      }
      case 'adagrad': {
        const a = slot('a', need(o.initialAccumulatorValue, 'initialAccumulatorValue')) + g * g;
        set('a', a);
        return w - (lr * g) / Math.sqrt(a + need(o.epsilon, 'epsilon'));
      }
      case 'adadelta': {
        const rho = need(o.rho, 'rho');
        const eps = need(o.epsilon, 'epsilon');
        const eg = rho * slot('eg') + (1 - rho) * g * g;
        set('eg', eg);
        const dx = (-Math.sqrt(slot('edx') + eps) / Math.sqrt(eg + eps)) * g;
        set('edx', rho * slot('edx') + (1 - rho) * dx * dx);
        return w + lr * dx;
      }
      case 'rmsprop': {
        const rho = need(o.rho, 'rho');
        const eps = need(o.epsilon, 'epsilon');
        const v = rho * slot('v') + (1 - rho) * g * g;
        set('v', v);
        let den = v + eps;
        if (o.centered) {
          const mg = rho * slot('mg') + (1 - rho) * g;
          set('mg', mg);
          den = v - mg * mg + eps;
        }
        const inc = (lr * g) / Math.sqrt(den);
        const mu = need(o.momentum, 'momentum');
        if (mu === 0) return w - inc;
        const mom = mu * slot('mom') + inc;
        set('mom', mom);
        return w - mom;
      }
      case 'adam': {
        const b1 = need(o.beta1, 'beta1');
        const b2 = need(o.beta2, 'beta2');
        const m = b1 * slot('m') + (1 - b1) * g;
        let v = b2 * slot('v') + (1 - b2) * g * g;
        set('m', m);
        set('v', v);
        if (o.amsgrad) {
          v = Math.max(slot('vh'), v);
          set('vh', v);
        }
        const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        return w - (lrT * m) / (Math.sqrt(v) + need(o.epsilon, 'epsilon'));
      }
      case 'adamax': {
        const b1 = need(o.beta1, 'beta1');
        const m = b1 * slot('m') + (1 - b1) * g;
        const u = Math.max(need(o.beta2, 'beta2') * slot('u'), Math.abs(g));
        set('m', m);
        set('u', u);
        return w - (lr / (1 - b1 ** t)) * (m / (u + need(o.epsilon, 'epsilon')));
      }
      case 'nadam': {
        const b1 = need(o.beta1, 'beta1');
        const b2 = need(o.beta2, 'beta2');
        const mu = (i: number) => b1 * (1 - 0.5 * 0.96 ** i);
        let prod = 1;
        for (let i = 1; i <= t; i++) prod *= mu(i);
        const m = b1 * slot('m') + (1 - b1) * g;
        const v = b2 * slot('v') + (1 - b2) * g * g;
        set('m', m);
        set('v', v);
        const mHat = (mu(t + 1) * m) / (1 - prod * mu(t + 1)) + ((1 - mu(t)) * g) / (1 - prod);
        const vHat = v / (1 - b2 ** t);
        return w - (lr * mHat) / (Math.sqrt(vHat) + need(o.epsilon, 'epsilon'));
      }
      case 'lion': {
        const b1 = need(o.beta1, 'beta1');
        const b2 = need(o.beta2, 'beta2');
        const m = slot('m');
        set('m', b2 * m + (1 - b2) * g);
        return w - lr * Math.sign(b1 * m + (1 - b1) * g);
      }
    }
  }
}
