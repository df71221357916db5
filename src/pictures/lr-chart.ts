/**
 * A learning-rate range test: loss against learning rate on a log axis, each step's loss as
 * dots, the smoothed curve, and the suggested rate as a vertical line.
 */
import { extent } from 'd3-array';
import { scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { valueScale } from './loss-chart.ts';
import { axis, color, document, dotSeries, el, emptyNote, frameFor, legend, text, type LegendEntry } from './svg.ts';

export interface RatePoint {
  learningRate: number;
  loss: number;
  smoothedLoss: number;
}

export function lrChart(title: string, points: RatePoint[], suggestion: number | null): string {
  const entries: LegendEntry[] = [
    { label: 'loss (each step)', color: color(0), mark: 'dot' },
    { label: 'loss (smoothed)', color: color(0) },
  ];
  if (suggestion !== null) entries.push({ label: `suggested rate ${suggestion.toPrecision(2)}`, color: color(3), mark: 'dash' });
  const f = frameFor(entries);
  if (points.length < 2) return document(title, [emptyNote('not enough steps recorded yet', f), legend(entries, f)], f);
  const x = scaleLog()
    .domain(extent(points, (p) => p.learningRate) as [number, number])
    .range([f.left, f.right])
    .nice();
  const y = valueScale(
    points.flatMap((p) => [p.loss, p.smoothedLoss]),
    [f.bottom, f.top],
  );
  const smoothed = line<RatePoint>()
    .x((p) => x(p.learningRate))
    .y((p) => y(p.smoothedLoss));
  const series = [
    dotSeries(
      'loss (each step)',
      points.map((p) => [x(p.learningRate), y(p.loss)]),
      color(0),
      0.35,
    ),
    el('path', {
      class: 'series',
      'data-series': 'loss (smoothed)',
      d: smoothed(points) ?? '',
      stroke: color(0),
      'stroke-width': 2,
      fill: 'none',
    }),
  ];
  if (suggestion !== null) {
    const at = x(suggestion);
    series.push(
      el(
        'g',
        { class: 'suggestion' },
        el('line', { x1: at, x2: at, y1: f.top, y2: f.bottom, stroke: color(3), 'stroke-width': 1.5, 'stroke-dasharray': '5 4' }),
        text({ x: at + 4, y: f.top + 14, fill: color(3), 'font-size': 11 }, suggestion.toPrecision(2)),
      ),
    );
  }
  return document(
    title,
    [
      axis(x, 'bottom', f, 'learning rate (log scale)', 8, '.0e'),
      axis(y, 'left', f, 'loss'),
      el('g', { 'clip-path': 'url(#plot)' }, ...series),
      legend(entries, f),
    ],
    f,
  );
}
