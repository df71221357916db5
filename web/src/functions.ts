/**
 * The playground's test functions, to draw their contour lines in the browser: the service's own
 * formulas (src/playground/functions.ts, README "Optimizer playground"), which compute the
 * paths, over a view box that shows each function's interesting region. Keyed by name: a new
 * function does not compile until it has a view here.
 */
import { FUNCTIONS, type FunctionName, type Point } from '../../src/playground/functions.ts';

export interface PlotFunction {
  value(x: number, y: number): number;
  x: [number, number];
  y: [number, number];
  start: Point;
}

type View = Omit<PlotFunction, 'value'>;

const VIEWS: { readonly [N in FunctionName]: View } = {
  rosenbrock: { x: [-2, 2], y: [-1, 3], start: [-1.5, 2] },
  beale: { x: [-4.5, 4.5], y: [-4.5, 4.5], start: [1, 1.5] },
  saddle: { x: [-2, 2], y: [-2, 2], start: [-1.5, 0.01] },
  quadratic: { x: [-3, 3], y: [-3, 3], start: [-2.5, 2] },
  rastrigin: { x: [-5.12, 5.12], y: [-5.12, 5.12], start: [3.2, -2.7] },
  himmelblau: { x: [-6, 6], y: [-6, 6], start: [0, 0] },
};

export function plotFunction(name: FunctionName): PlotFunction {
  return { ...VIEWS[name], value: FUNCTIONS[name].value };
}
