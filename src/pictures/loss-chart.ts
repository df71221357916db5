/**
 * One job's training curve: every step's loss as faint dots, its smoothed line over them, the
 * validation loss at the end of each epoch, and the learning rate on a second axis (right).
 * The loss axis turns logarithmic when the loss spans more than about a decade.
 */
import { extent } from 'd3-array';
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { smooth } from '../analysis/smoothing.ts';
import { FRAME, axis, color, document, dotSeries, el, emptyNote, legend, wantsLog, type LegendEntry } from './svg.ts';

export interface StepPoint {
  step: number;
  loss: number;
  learningRate: number;
}

export interface EpochPoint {
  epoch: number;
  /** The last step of the epoch, where its point is drawn. */
  step: number;
  valLoss: number | null;
}

/** A y scale over the values (finite ones), log when they span decades, padded so points do not touch the frame. */
export function valueScale(values: number[], range: [number, number]) {
  const [low = 0, high = 1] = extent(values.filter(Number.isFinite));
  if (wantsLog(values))
    return scaleLog()
      .domain([low / 1.2, high * 1.2])
      .range(range)
      .nice();
  const pad = high === low ? Math.abs(high) * 0.1 || 1 : (high - low) * 0.05;
  // A loss is never negative: do not pad below zero.
  return scaleLinear()
    .domain([low >= 0 ? Math.max(0, low - pad) : low - pad, high + pad])
    .range(range)
    .nice();
}

/** Learning rates: from 0 on a linear axis, or log when a schedule spans decades (a range test). */
export function rateScale(rates: number[], range: [number, number]) {
  const positive = rates.filter((r) => r > 0 && Number.isFinite(r));
  if (wantsLog(positive) && positive.length === rates.length)
    return scaleLog()
      .domain(extent(positive) as [number, number])
      .range(range)
      .nice();
  return scaleLinear()
    .domain([0, Math.max(0, ...positive) * 1.1 || 1])
    .range(range)
    .nice();
}

export function lossChart(title: string, steps: StepPoint[], epochs: EpochPoint[]): string {
  const f = FRAME;
  if (steps.length === 0) return document(title, [emptyNote('no steps recorded yet')]);
  const x = scaleLinear()
    .domain([0, steps[steps.length - 1].step])
    .range([f.left, f.right])
    .nice();
  const validation = epochs.filter((e): e is EpochPoint & { valLoss: number } => e.valLoss !== null && Number.isFinite(e.valLoss));
  const losses = steps.map((s) => s.loss);
  const y = valueScale([...losses, ...validation.map((e) => e.valLoss)], [f.bottom, f.top]);
  const lr = rateScale(
    steps.map((s) => s.learningRate),
    [f.bottom, f.top],
  );
  const smoothed = smooth(losses);
  const path = line<[number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  const lrPath = line<StepPoint>()
    .x((s) => x(s.step))
    .y((s) => lr(s.learningRate));

  const series = [
    dotSeries(
      'loss (each step)',
      steps.map((s) => [x(s.step), y(s.loss)]),
      color(0),
      0.3,
    ),
    el('path', {
      class: 'series',
      'data-series': 'loss (smoothed)',
      d: path(steps.map((s, i) => [s.step, smoothed[i]])) ?? '',
      stroke: color(0),
      'stroke-width': 2,
      fill: 'none',
    }),
    el('path', {
      class: 'series',
      'data-series': 'learning rate',
      d: lrPath(steps) ?? '',
      stroke: color(2),
      'stroke-width': 1.5,
      'stroke-dasharray': '5 4',
      fill: 'none',
    }),
  ];
  const entries: LegendEntry[] = [
    { label: 'loss (each step)', color: color(0), mark: 'dot' },
    { label: 'loss (smoothed)', color: color(0) },
    { label: 'learning rate (right axis)', color: color(2), mark: 'dash' },
  ];
  if (validation.length > 0) {
    series.push(
      el(
        'g',
        { class: 'series', 'data-series': 'validation loss', fill: color(1) },
        el('path', { d: path(validation.map((e) => [e.step, e.valLoss])) ?? '', stroke: color(1), 'stroke-width': 1.5, fill: 'none' }),
        ...validation.map((e) => el('circle', { cx: x(e.step), cy: y(e.valLoss), r: 3.5 })),
      ),
    );
    entries.push({ label: 'validation loss (each epoch)', color: color(1) });
  }
  return document(title, [
    axis(x, 'bottom', f, 'step', 8, '~s'),
    axis(y, 'left', f, 'loss'),
    axis(lr, 'right', f, 'learning rate', 5),
    el('g', { 'clip-path': 'url(#plot)' }, ...series),
    legend(entries, f),
  ]);
}
