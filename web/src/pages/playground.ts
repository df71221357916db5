/**
 * `/playground`: several optimizers on one 2-D test function; their paths (from
 * POST /v1/trajectories) drawn over the function's contour lines, step by step.
 */
import { contours } from 'd3-contour';
import { api, ApiError } from '../api.ts';
import { COLORS } from '../chart.ts';
import { fmt, h, replace, svg } from '../dom.ts';
import { input, select } from '../forms.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../../src/playground/functions.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../../../src/domain/optimizer.ts';
import { plotFunction } from '../functions.ts';
import type { Trajectory } from '../types.ts';

const SIZE = 480;
const GRID = 120;
/** A rate that makes a telling path on the default function (keyed by name: a new optimizer needs one). */
const DEFAULT_RATES: { readonly [N in OptimizerName]: number } = {
  sgd: 0.001,
  momentum: 0.001,
  nesterov: 0.001,
  adam: 0.1,
  rmsprop: 0.01,
  adagrad: 0.5,
  adadelta: 1,
  adamw: 0.1,
  adamax: 0.1,
  nadam: 0.1,
  lion: 0.05,
};
const DEFAULT_ON = new Set<OptimizerName>(['sgd', 'momentum', 'adam']);
const ANIMATION_MS = 3000;

export function playgroundPage(main: HTMLElement): () => void {
  const fnSelect = select(
    FUNCTION_NAMES.map((f) => [f, f]),
    'rosenbrock',
  );
  fnSelect.id = 'pg-function';
  const sx = input('number', -1.5, { step: 'any', id: 'pg-x' });
  const sy = input('number', 2, { step: 'any', id: 'pg-y' });
  const steps = input('number', 200, { min: 1, max: 10000, step: 1, id: 'pg-steps' });
  fnSelect.addEventListener('change', () => {
    const f = plotFunction(fnSelect.value as FunctionName);
    sx.value = String(f.start[0]);
    sy.value = String(f.start[1]);
    drawContours();
  });
  const rows = OPTIMIZER_NAMES.map((name, i) => {
    const on = h('input', { type: 'checkbox', id: `pg-on-${name}`, checked: DEFAULT_ON.has(name) });
    const lr = input('number', DEFAULT_RATES[name], {
      step: 'any',
      min: 0,
      id: `pg-lr-${name}`,
      'aria-label': `${name} learning rate`,
    });
    const opts = input('text', '', { id: `pg-opts-${name}`, placeholder: '{ "beta1": 0.8 }', 'aria-label': `${name} options (JSON)` });
    const err = h('span', { class: 'field-error', role: 'alert' });
    const row = h(
      'tr',
      {},
      h(
        'td',
        {},
        on,
        ' ',
        h('label', { for: `pg-on-${name}` }, h('span', { class: `swatch swatch-${i % COLORS.length}`, 'aria-hidden': 'true' }), ' ', name),
      ),
      h('td', {}, lr),
      h('td', {}, opts, err),
    );
    return { name, on, lr, opts, err, row, color: COLORS[i % COLORS.length] };
  });
  const run = h('button', { type: 'submit', id: 'pg-run' }, 'Run');
  const message = h('p', { class: 'error', role: 'alert' });
  const legend = h('ul', { class: 'plain legend', id: 'pg-legend' });
  const plot = svg('svg', {
    viewBox: `0 0 ${SIZE} ${SIZE}`,
    class: 'contour',
    id: 'pg-plot',
    role: 'img',
    'aria-label': 'contour plot with optimizer paths',
  });
  const contourLayer = svg('g');
  const pathLayer = svg('g');
  plot.append(contourLayer, pathLayer);

  main.append(
    h('h1', {}, 'Optimizer playground'),
    h(
      'div',
      { class: 'playground' },
      h(
        'form',
        {
          id: 'pg-form',
          onsubmit: (ev: SubmitEvent) => {
            ev.preventDefault();
            void go();
          },
        },
        h('div', { class: 'field' }, h('label', { for: 'pg-function' }, 'Function'), fnSelect),
        h(
          'div',
          { class: 'field-pair' },
          h('div', { class: 'field' }, h('label', { for: 'pg-x' }, 'Start x'), sx),
          h('div', { class: 'field' }, h('label', { for: 'pg-y' }, 'Start y'), sy),
        ),
        h('div', { class: 'field' }, h('label', { for: 'pg-steps' }, 'Steps'), steps),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'compact' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Optimizer'),
                h('th', { scope: 'col' }, 'Learning rate'),
                h('th', { scope: 'col' }, 'Options'),
              ),
            ),
            h(
              'tbody',
              {},
              rows.map((r) => r.row),
            ),
          ),
        ),
        run,
        message,
      ),
      h('div', { class: 'plot-box' }, plot, legend),
    ),
  );

  const scale = () => {
    const f = plotFunction(fnSelect.value as FunctionName);
    return {
      f,
      px: (x: number) => ((x - f.x[0]) / (f.x[1] - f.x[0])) * SIZE,
      py: (y: number) => SIZE - ((y - f.y[0]) / (f.y[1] - f.y[0])) * SIZE,
    };
  };

  function drawContours() {
    const { f } = scale();
    const values = new Float64Array(GRID * GRID);
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < GRID; j++) {
      for (let i = 0; i < GRID; i++) {
        const x = f.x[0] + ((i + 0.5) / GRID) * (f.x[1] - f.x[0]);
        const y = f.y[1] - ((j + 0.5) / GRID) * (f.y[1] - f.y[0]);
        const v = f.value(x, y);
        values[j * GRID + i] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // Levels spaced on a log scale above the minimum show valleys and plateaus alike.
    const levels = 18;
    const thresholds = Array.from(
      { length: levels },
      (_, k) => min + (max - min) * (Math.expm1(((k + 1) / levels) * Math.log1p(1000)) / 1000),
    );
    const k = SIZE / GRID;
    replace(contourLayer, svg('rect', { width: SIZE, height: SIZE, fill: 'hsl(225 70% 97%)' }));
    for (const [n, c] of contours().size([GRID, GRID]).thresholds(thresholds)(Array.from(values)).entries()) {
      const d = c.coordinates
        .map((poly) => poly.map((ring) => `M${ring.map(([x, y]) => `${(x * k).toFixed(1)},${(y * k).toFixed(1)}`).join('L')}Z`).join(''))
        .join('');
      const t = n / levels;
      contourLayer.append(
        svg('path', {
          d,
          fill: `hsl(${220 - 180 * t} 70% ${92 - 35 * t}%)`,
          stroke: '#64748b',
          'stroke-width': 0.4,
          'stroke-opacity': 0.6,
        }),
      );
    }
  }

  let frame = 0;
  let stopped = false;

  async function go() {
    cancelAnimationFrame(frame);
    replace(message);
    for (const r of rows) replace(r.err);
    const chosen = rows.filter((r) => r.on.checked);
    if (!chosen.length) {
      replace(message, 'Pick at least one optimizer.');
      return;
    }
    const start = [Number(sx.value), Number(sy.value)];
    run.disabled = true;
    const results = await Promise.all(
      chosen.map(async (r) => {
        try {
          const extra = r.opts.value.trim() ? (JSON.parse(r.opts.value) as object) : {};
          const body = {
            function: fnSelect.value,
            start,
            steps: Number(steps.value),
            optimizer: { name: r.name, learningRate: Number(r.lr.value), ...extra },
          };
          return { r, t: await api<Trajectory>('/v1/trajectories', { json: body }) };
        } catch (e) {
          if (e instanceof ApiError && (e.field === 'function' || e.field === 'start' || e.field === 'steps')) replace(message, e.message);
          else replace(r.err, (e as Error).message);
          return null;
        }
      }),
    );
    run.disabled = false;
    if (stopped) return;
    animate(results.filter((x): x is { r: (typeof rows)[number]; t: Trajectory } => x !== null));
  }

  function animate(paths: { r: (typeof rows)[number]; t: Trajectory }[]) {
    const { px, py } = scale();
    replace(pathLayer);
    const first = paths[0]?.t;
    for (const [x, y] of first?.minima ?? [])
      pathLayer.append(svg('path', { d: `M${px(x) - 6},${py(y)}h12M${px(x)},${py(y) - 6}v12`, stroke: '#0f172a', 'stroke-width': 2 }));
    const lines = paths.map(({ r }) => {
      const line = svg('polyline', { fill: 'none', stroke: r.color, 'stroke-width': 2, points: '' });
      const head = svg('circle', { r: 4, fill: r.color, stroke: '#fff', 'stroke-width': 1 });
      pathLayer.append(line, head);
      return { line, head };
    });
    const longest = Math.max(1, ...paths.map((p) => p.t.points.length));
    const t0 = performance.now();
    plot.dataset.done = 'false';
    const tick = (now: number) => {
      const upTo = Math.min(longest, Math.ceil(((now - t0) / ANIMATION_MS) * longest));
      paths.forEach((p, i) => {
        const pts = p.t.points.slice(0, upTo);
        lines[i].line.setAttribute('points', pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' '));
        const last = pts[pts.length - 1];
        if (last) {
          lines[i].head.setAttribute('cx', px(last[0]).toFixed(1));
          lines[i].head.setAttribute('cy', py(last[1]).toFixed(1));
        }
      });
      plot.dataset.step = String(upTo - 1);
      if (upTo < longest && !stopped) frame = requestAnimationFrame(tick);
      else plot.dataset.done = 'true';
    };
    frame = requestAnimationFrame(tick);
    replace(
      legend,
      paths.map(({ r, t }) => {
        const end = t.points[t.points.length - 1];
        return h(
          'li',
          {},
          h('span', { class: `swatch swatch-${rows.indexOf(r) % COLORS.length}`, 'aria-hidden': 'true' }),
          ` ${r.name} lr=${r.lr.value}: `,
          t.diverged
            ? `diverged at step ${t.diverged.step}`
            : `f = ${fmt(end?.[2])} at (${fmt(end?.[0], 3)}, ${fmt(end?.[1], 3)}) after ${t.points.length - 1} steps`,
        );
      }),
    );
  }

  drawContours();
  return () => {
    stopped = true;
    cancelAnimationFrame(frame);
  };
}
