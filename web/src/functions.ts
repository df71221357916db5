/**
 * The playground's test functions, to draw their contour lines in the browser. The API computes
 * the optimizers' paths; these are only the same formulas (README "Optimizer playground") over
 * a view box that shows each function's interesting region.
 */
export interface PlotFunction {
  value(x: number, y: number): number;
  x: [number, number];
  y: [number, number];
  start: [number, number];
}

export const PLOT_FUNCTIONS: Record<string, PlotFunction> = {
  rosenbrock: { value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2, x: [-2, 2], y: [-1, 3], start: [-1.5, 2] },
  beale: {
    value: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    x: [-4.5, 4.5],
    y: [-4.5, 4.5],
    start: [1, 1.5],
  },
  saddle: { value: (x, y) => x * x - y * y, x: [-2, 2], y: [-2, 2], start: [-1.5, 0.01] },
  quadratic: { value: (x, y) => 0.5 * (x * x + 10 * y * y), x: [-3, 3], y: [-3, 3], start: [-2.5, 2] },
  rastrigin: {
    value: (x, y) => 20 + x * x - 10 * Math.cos(2 * Math.PI * x) + y * y - 10 * Math.cos(2 * Math.PI * y),
    x: [-5.12, 5.12],
    y: [-5.12, 5.12],
    start: [3.2, -2.7],
  },
  himmelblau: { value: (x, y) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2, x: [-6, 6], y: [-6, 6], start: [0, 0] },
};
