/**
 * Several runs on one chart: each variant's smoothed step loss, one colour each, a cross where
 * a run diverged. The loss axis is logarithmic when the runs span more than about a decade,
 * which they usually do when one optimizer is far ahead of another.
 */
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { valueScale, type StepPoint } from './loss-chart.ts';
import { smooth } from '../analysis/smoothing.ts';
import { axis, color, dashOf, document, el, emptyNote, frameFor, legend, type LegendEntry } from './svg.ts';

export interface RunSeries {
  label: string;
  steps: StepPoint[];
  /** The step whose loss was not finite, when the run diverged. */
  divergedAtStep?: number | null;
}

export function comparisonChart(title: string, runs: RunSeries[], xLabel = 'step'): string {
  const entries: LegendEntry[] = runs.map((r, i) => ({
    label: r.divergedAtStep ? `${r.label} (diverged at step ${r.divergedAtStep})` : r.label,
    color: color(i),
    mark: dashOf(i) ? 'dash' : 'line',
  }));
  const f = frameFor(entries);
  const lastStep = Math.max(0, ...runs.map((r) => r.steps[r.steps.length - 1]?.step ?? 0));
  if (lastStep === 0) return document(title, [emptyNote('no steps recorded yet', f), legend(entries, f)], f);
  // Heavier smoothing than one job's chart: many lines, and their trends are what is compared.
  const smoothed = runs.map((r) =>
    smooth(
      r.steps.map((s) => s.loss),
      1 / 12,
    ),
  );
  const x = scaleLinear().domain([0, lastStep]).range([f.left, f.right]).nice();
  const y = valueScale(smoothed.flat(), [f.bottom, f.top]);
  const path = line<[number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  const series = runs.map((run, i) => {
    const points = run.steps.map((s, j): [number, number] => [s.step, smoothed[i][j]]);
    const parts = [el('path', { d: path(points) ?? '', stroke: color(i), 'stroke-width': 2, 'stroke-dasharray': dashOf(i), fill: 'none' })];
    const last = points[points.length - 1];
    if (run.divergedAtStep && last) {
      // Drawn at the last finite point: the loss at the diverging step itself has no place on the axis.
      const [cx, cy] = [x(last[0]), y(last[1])];
      parts.push(
        el('path', {
          d: `M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx - 5},${cy + 5}L${cx + 5},${cy - 5}`,
          stroke: color(i),
          'stroke-width': 2.5,
        }),
      );
    }
    return el('g', { class: 'series', 'data-series': run.label }, ...parts);
  });
  return document(
    title,
    [
      axis(x, 'bottom', f, xLabel, 8, '~s'),
      axis(y, 'left', f, 'loss (smoothed)'),
      el('g', { 'clip-path': 'url(#plot)' }, ...series),
      legend(entries, f),
    ],
    f,
  );
}
