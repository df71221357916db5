/**
 * The classic picture of the optimizer literature: contour lines of a function of two
 * variables, one path per optimizer from the same start, the known minima marked.
 *
 * The function is sampled on a grid over the plot's range and d3-contour traces the level
 * sets (marching squares). Levels are spaced logarithmically when the function is
 * non-negative and spans decades (Rosenbrock's valley, Beale's plateaus: linear levels would
 * all crowd onto the walls), linearly otherwise (a saddle goes negative).
 */
import { extent, quantile, range as steps, ticks } from 'd3-array';
import { contours } from 'd3-contour';
import { scaleLinear } from 'd3-scale';
import { axis, color, document, el, frameFor, legend, wantsLog, type LegendEntry } from './svg.ts';

export type Point = [number, number];

export interface PlotRange {
  x: [number, number];
  y: [number, number];
}

export interface OptimizerPath {
  label: string;
  /** [x, y, f] from the start on. */
  points: Array<[number, number, number]>;
  /** The step that left the finite numbers, when it did. */
  divergedAtStep?: number;
}

export interface ContourPlot {
  title: string;
  value: (x: number, y: number) => number;
  minima: readonly Point[];
  range: PlotRange;
  paths: OptimizerPath[];
}

/** Grid cells across and down: fine enough for smooth lines at 800×400, 32,000 evaluations. */
const GRID = { nx: 200, ny: 160 };
const LEVELS = 24;

/** Contour levels for these sampled values (see the module comment). */
export function contourLevels(values: number[]): number[] {
  const finite = values.filter(Number.isFinite);
  const [low = 0, high = 1] = extent(finite);
  if (
    low >= 0 &&
    wantsLog(
      finite.filter((v) => v > 0),
      2,
    )
  ) {
    // From just above the floor of the range to its top; 0 itself has no logarithm.
    const top = quantile(finite, 0.98) ?? high;
    const floor = Math.max(low, top * 1e-5, Number.MIN_VALUE);
    return steps(LEVELS).map((k) => floor * Math.pow(top / floor, k / (LEVELS - 1)));
  }
  return ticks(low, high, LEVELS);
}

/** Drops points less than half a pixel from the last one kept: a 10,000-step path that crawls stays small. */
function thin(points: Point[]): Point[] {
  const kept: Point[] = [];
  for (const p of points) {
    const last = kept[kept.length - 1];
    if (!last || Math.abs(p[0] - last[0]) >= 0.5 || Math.abs(p[1] - last[1]) >= 0.5) kept.push(p);
  }
  const end = points[points.length - 1];
  if (end && kept[kept.length - 1] !== end) kept.push(end);
  return kept;
}

const polyline = (points: Point[]) => points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');

export function contourPlot(plot: ContourPlot): string {
  const entries: LegendEntry[] = plot.paths.map((p, i) => ({
    label: p.divergedAtStep ? `${p.label} (diverged at step ${p.divergedAtStep})` : p.label,
    color: color(i),
  }));
  entries.push({ label: 'start', color: '#000', mark: 'ring' });
  if (plot.minima.length > 0) entries.push({ label: plot.minima.length > 1 ? 'minima' : 'minimum', color: '#000', mark: 'cross' });
  const f = frameFor(entries);
  const x = scaleLinear().domain(plot.range.x).range([f.left, f.right]);
  const y = scaleLinear().domain(plot.range.y).range([f.bottom, f.top]);

  // Row j of the grid is y ascending; sample each cell at its centre.
  const { nx, ny } = GRID;
  const gx = scaleLinear().domain([0, nx]).range(plot.range.x);
  const gy = scaleLinear().domain([0, ny]).range(plot.range.y);
  const values = new Array<number>(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) values[i + j * nx] = plot.value(gx(i + 0.5), gy(j + 0.5));
  const levels = contourLevels(values);
  // Non-finite samples (an overflow far out) become the highest level: lines stay closed around them.
  const top = levels[levels.length - 1] ?? 0;
  const sampled = values.map((v) => (Number.isFinite(v) ? v : top * 2));
  const lines = contours()
    .size([nx, ny])
    .thresholds(levels)(sampled)
    .map((band, k) => {
      const d = band.coordinates
        .flatMap((polygon) => polygon.map((ring) => `${polyline(ring.map(([a, b]): Point => [x(gx(a)), y(gy(b))]))}Z`))
        .join('');
      // Lower levels darker: the eye finds the valley floor.
      const shade = Math.round(120 + (110 * k) / Math.max(1, levels.length - 1));
      return el('path', {
        class: 'contour',
        'data-level': band.value.toPrecision(3),
        d,
        fill: 'none',
        stroke: `rgb(${shade},${shade},${shade})`,
        'stroke-width': 0.8,
      });
    });

  const series = plot.paths.map((p, i) => {
    const pixels = thin(p.points.map(([a, b]): Point => [x(a), y(b)]));
    const end = pixels[pixels.length - 1];
    return el(
      'g',
      { class: 'series', 'data-series': p.label },
      el('path', { d: polyline(pixels), stroke: color(i), 'stroke-width': 2, fill: 'none', 'stroke-linejoin': 'round' }),
      end ? el('circle', { cx: end[0].toFixed(1), cy: end[1].toFixed(1), r: 3.5, fill: color(i) }) : '',
    );
  });
  const start = plot.paths[0]?.points[0];
  const marks = [
    ...plot.minima.map(([a, b]) =>
      el('path', {
        class: 'minimum',
        d: `M${x(a) - 6},${y(b)}h12M${x(a)},${y(b) - 6}v12`,
        stroke: '#000',
        'stroke-width': 2,
      }),
    ),
    start
      ? el('circle', { class: 'start', cx: x(start[0]), cy: y(start[1]), r: 4.5, fill: 'white', stroke: '#000', 'stroke-width': 2 })
      : '',
  ];
  return document(
    plot.title,
    [
      axis(x, 'bottom', f, 'x'),
      axis(y, 'left', f, 'y', 6),
      el('g', { 'clip-path': 'url(#plot)' }, ...lines, ...series, ...marks),
      legend(entries, f),
    ],
    f,
  );
}
