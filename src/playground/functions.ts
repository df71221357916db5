/**
 * The optimizer playground's test functions of two variables: value, exact analytic gradient,
 * known minima. PURE: no TensorFlow.js, so the HTTP API can list names and minima.
 *
 * `value` is float64 (plain JS math) at the point given: the trajectory calls it on the
 * float32 coordinates the optimizer produced, so f is the true value at that float32 point.
 * `gradient` is float32: every +, -, *, / and sin goes through Math.fround, which rounds
 * each double result once to float32 — for + - * / of float32 inputs that is exactly IEEE
 * float32 arithmetic (double has more than 2·24+2 bits, so the double rounding is innocuous),
 * and for sin it is what tfjs' cpu backend does (Math.sin on float32 input, stored in a
 * Float32Array). Reference: Surjanovic & Bingham, Virtual Library of Simulation Experiments,
 * https://www.sfu.ca/~ssurjano/optimization.html, and Jamil & Yang, "A literature survey of
 * benchmark functions for global optimisation problems", 2013.
 */

export const FUNCTION_NAMES = ['rosenbrock', 'beale', 'saddle', 'quadratic', 'rastrigin', 'himmelblau'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type Point = [number, number];

export interface TestFunction {
  /** f(x, y) in float64. */
  value: (x: number, y: number) => number;
  /** (df/dx, df/dy) in float32 arithmetic (values are float32 numbers). */
  gradient(x: number, y: number): Point;
  /** Known minima (for rastrigin the global one only; saddle has none: it is unbounded below). */
  minima: readonly Point[];
}

const r = Math.fround;

/** The quadratic bowl's curvatures: f = 0.5 (a x^2 + b y^2); condition number b / a = 10. */
export const QUADRATIC = { a: 1, b: 10 } as const;

/** Rastrigin's amplitude (the usual A = 10). */
export const RASTRIGIN_A = 10;
const TWO_PI_32 = r(2 * Math.PI);

export const FUNCTIONS: { readonly [N in FunctionName]: TestFunction } = {
  /**
   * Rosenbrock: f = (1 - x)^2 + 100 (y - x^2)^2; a curved narrow valley, minimum f(1, 1) = 0.
   *   df/dx = -2 (1 - x) - 400 x (y - x^2),   df/dy = 200 (y - x^2)
   */
  rosenbrock: {
    value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    gradient(x, y) {
      const valley = r(y - r(x * x));
      return [r(r(-2 * r(1 - x)) - r(r(400 * x) * valley)), r(200 * valley)];
    },
    minima: [[1, 1]],
  },
  /**
   * Beale: f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; flat plateaus and
   * sharp ridges, minimum f(3, 0.5) = 0. With a, b, c the three bracketed terms:
   *   df/dx = 2a (y - 1) + 2b (y^2 - 1) + 2c (y^3 - 1),   df/dy = 2a x + 4b xy + 6c xy^2
   */
  beale: {
    value(x, y) {
      return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2;
    },
    gradient(x, y) {
      const y2 = r(y * y);
      const y3 = r(y2 * y);
      const a = r(r(1.5 - x) + r(x * y));
      const b = r(r(2.25 - x) + r(x * y2));
      const c = r(r(2.625 - x) + r(x * y3));
      const gx = r(r(r(r(2 * a) * r(y - 1)) + r(r(2 * b) * r(y2 - 1))) + r(r(2 * c) * r(y3 - 1)));
      const gy = r(r(r(r(2 * a) * x) + r(r(4 * b) * r(x * y))) + r(r(6 * c) * r(x * y2)));
      return [gx, gy];
    },
    minima: [[3, 0.5]],
  },
  /**
   * Saddle: f = x^2 - y^2; a saddle point at (0, 0) and no minimum (unbounded below along y).
   *   df/dx = 2x,   df/dy = -2y
   */
  saddle: {
    value: (x, y) => x * x - y * y,
    gradient: (x, y) => [r(2 * x), r(-2 * y)],
    minima: [],
  },
  /**
   * Quadratic: the ill-conditioned bowl f = 0.5 (a x^2 + b y^2) with a = 1, b = 10 (QUADRATIC),
   * so plain SGD zig-zags along y long before it gets anywhere along x; minimum f(0, 0) = 0.
   *   df/dx = a x,   df/dy = b y
   */
  quadratic: {
    value: (x, y) => 0.5 * (QUADRATIC.a * x * x + QUADRATIC.b * y * y),
    gradient: (x, y) => [r(QUADRATIC.a * x), r(QUADRATIC.b * y)],
    minima: [[0, 0]],
  },
  /**
   * Rastrigin in 2-D, A = 10: f = 2A + (x^2 - A cos 2πx) + (y^2 - A cos 2πy); a bowl covered in
   * local minima near every integer point, global minimum f(0, 0) = 0.
   *   df/dx = 2x + 2πA sin 2πx   (and the same in y)
   */
  rastrigin: {
    value(x, y) {
      const term = (t: number) => t * t - RASTRIGIN_A * Math.cos(2 * Math.PI * t);
      return 2 * RASTRIGIN_A + term(x) + term(y);
    },
    gradient(x, y) {
      const d = (t: number) => r(r(2 * t) + r(r(TWO_PI_32 * RASTRIGIN_A) * r(Math.sin(r(TWO_PI_32 * t)))));
      return [d(x), d(y)];
    },
    minima: [[0, 0]],
  },
  /**
   * Himmelblau: f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2; four minima with f = 0 (one exact at
   * (3, 2), the others to 6 decimals from Himmelblau, "Applied Nonlinear Programming", 1972).
   *   df/dx = 4x (x^2 + y - 11) + 2 (x + y^2 - 7),   df/dy = 2 (x^2 + y - 11) + 4y (x + y^2 - 7)
   */
  himmelblau: {
    value: (x, y) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    gradient(x, y) {
      const u = r(r(r(x * x) + y) - 11);
      const v = r(r(x + r(y * y)) - 7);
      return [r(r(r(4 * x) * u) + r(2 * v)), r(r(2 * u) + r(r(4 * y) * v))];
    },
    minima: [
      [3, 2],
      [-2.805118, 3.131312],
      [-3.77931, -3.283186],
      [3.584428, -1.848126],
    ],
  },
};
