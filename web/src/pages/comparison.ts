/**
 * `/comparisons/:id`: every variant's loss on one chart, the results table and the best variant.
 * The table is computed by the API on each request, so it is polled while jobs run.
 */
import { api, ApiError } from '../api.ts';
import { COLORS, lineChart, uPlot, type Chart } from '../chart.ts';
import { fmt, h, replace, statusBadge, when } from '../dom.ts';
import type { Answer, BucketedMetrics, Comparison } from '../types.ts';

const POINTS = 500;

export function comparisonPage(main: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const title = h('h1', {}, 'Comparison');
  const status = h('span');
  const best = h('p', { class: 'best', id: 'best', role: 'status' });
  const message = h('p', { class: 'error', role: 'alert' });
  const actions = h('div', { class: 'actions' });
  const chartBox = h('div', { class: 'chart', id: 'comparison-chart', role: 'img', 'aria-label': 'loss per step of every variant' });
  const tbody = h('tbody');
  main.append(
    h('div', { class: 'title-row' }, title, status),
    best,
    actions,
    message,
    h('h2', {}, 'Loss'),
    chartBox,
    h('h2', {}, 'Results'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'results' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Variant', 'Status', 'Final loss', 'Final val loss', 'Val accuracy', 'Best val loss', 'Step to target', 'Seconds'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        tbody,
      ),
    ),
  );
  let chart: Chart | null = null;
  let labels = '';
  let timer = 0;
  let stopped = false;

  const draw = async (c: Comparison) => {
    const rows = c.rows ?? [];
    const series = await Promise.all(rows.map((r) => api<BucketedMetrics>(`/v1/jobs/${r.jobId}/metrics?points=${POINTS}`)));
    if (stopped) return;
    const key = rows.map((r) => r.label).join('|');
    if (!chart || key !== labels) {
      chart?.destroy();
      replace(chartBox);
      labels = key;
      chart = lineChart(chartBox, {
        series: rows.map((r, i) => ({
          label: r.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: false },
          spanGaps: true,
        })),
      });
    }
    const tables = series.map((m) => [m.buckets.map((b) => b.lastStep), m.buckets.map((b) => b.meanLoss)] as uPlot.AlignedData);
    chart.set(tables.length ? uPlot.join(tables) : [[]]);
  };

  const show = (c: Comparison) => {
    replace(title, c.name ?? `Comparison ${c.id.slice(0, 8)}`);
    replace(status, statusBadge(c.status));
    replace(
      best,
      c.best
        ? ['Best: ', h('a', { href: `/jobs/${c.best.jobId}` }, c.best.label), ` (${c.best.metric} ${fmt(c.best.value)})`]
        : 'No best variant yet.',
    );
    replace(
      actions,
      c.status === 'running' || c.status === 'queued'
        ? h(
            'button',
            {
              type: 'button',
              id: 'cancel-comparison',
              onclick: () => {
                api<Answer<'/v1/comparisons/{id}/cancel', 'post'>>(`/v1/comparisons/${id}/cancel`, { method: 'POST' })
                  .then(show)
                  .catch((e: Error) => replace(message, e.message));
              },
            },
            'Cancel all',
          )
        : h(
            'span',
            { class: 'muted small' },
            `created ${when(c.createdAt)}, best by ${c.metric}${c.target !== null ? `, target loss ${c.target}` : ''}`,
          ),
    );
    replace(
      tbody,
      (c.rows ?? []).map((r, i) =>
        h(
          'tr',
          { class: c.best?.variant === r.variant ? 'is-best' : '' },
          h(
            'td',
            {},
            h('span', { class: `swatch swatch-${i % COLORS.length}`, 'aria-hidden': 'true' }),
            ' ',
            h('a', { href: `/jobs/${r.jobId}` }, r.label),
          ),
          h('td', {}, statusBadge(r.status), r.diverged ? ` diverged at step ${r.divergedAtStep}` : ''),
          h('td', { class: 'num' }, fmt(r.finalLoss)),
          h('td', { class: 'num' }, fmt(r.finalValLoss)),
          h('td', { class: 'num' }, fmt(r.finalValAccuracy, 3)),
          h('td', { class: 'num' }, fmt(r.bestValLoss)),
          h('td', { class: 'num' }, r.stepToTarget ?? '–'),
          h('td', { class: 'num' }, fmt(r.wallSeconds, 3)),
        ),
      ),
    );
  };

  const poll = async () => {
    try {
      const c = await api<Comparison>(`/v1/comparisons/${id}`);
      if (stopped) return;
      show(c);
      await draw(c);
      if (!stopped && (c.status === 'running' || c.status === 'queued')) timer = window.setTimeout(poll, 1500);
      else chartBox.dataset.done = 'true';
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) replace(main, h('h1', {}, 'Not found'), h('p', {}, e.message));
      else replace(message, (e as Error).message);
    }
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    chart?.destroy();
  };
}
