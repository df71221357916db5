/**
 * The few SVG pieces every chart shares: escaping, elements, the palette, a frame with axes
 * whose ticks come from the d3 scales, and a legend. d3 computes scales, ticks and path data;
 * the SVG text around them is ours (no DOM on the server).
 *
 * Every data series is drawn with `class="series"` and `data-series="<label>"`, so a reader (or
 * a test) finds the series of a chart without knowing how each is drawn.
 */
import { extent } from 'd3-array';
import type { ScaleContinuousNumeric } from 'd3-scale';

export const WIDTH = 800;
export const HEIGHT = 400;

/** d3's category10 (Tableau 10): distinct hues that survive printing and most colour blindness. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const color = (i: number) => PALETTE[i % PALETTE.length];
/** Past the palette's ten colours, series repeat them dashed, so eleven optimizers stay apart. */
export const dashOf = (i: number) => (i >= PALETTE.length ? '7 3' : undefined);

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

type Attrs = Record<string, string | number | undefined>;

/** `<tag a="…">children</tag>`, attributes escaped, undefined ones left out. */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  return children.length === 0 ? `<${tag}${a}/>` : `<${tag}${a}>${children.join('')}</${tag}>`;
}

export const text = (attrs: Attrs, content: string) => el('text', attrs, escapeXml(content));

/** The plotting area inside the margins. */
export interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { left: 70, right: WIDTH - 80, top: 40, bottom: HEIGHT - 50 };

type Scale = ScaleContinuousNumeric<number, number>;

/**
 * Tick marks and labels of one axis. A log scale gets d3's log ticks, labelled only where its
 * tickFormat gives a label (1, 2, 5 × 10^k), so the axis stays readable over many decades.
 */
export function axis(scale: Scale, side: 'bottom' | 'left' | 'right', frame: Frame, label: string, count = 8, specifier = '~g'): string {
  const ticks = scale.ticks(count);
  const format = scale.tickFormat(count, specifier);
  const parts: string[] = [];
  for (const t of ticks) {
    const p = scale(t);
    const shown = format(t);
    if (side === 'bottom') {
      parts.push(el('line', { x1: p, x2: p, y1: frame.bottom, y2: frame.bottom + 5, stroke: '#333' }));
      if (shown) parts.push(text({ x: p, y: frame.bottom + 18, 'text-anchor': 'middle' }, shown));
    } else {
      const x = side === 'left' ? frame.left : frame.right;
      const dir = side === 'left' ? -1 : 1;
      parts.push(el('line', { x1: x, x2: x + 5 * dir, y1: p, y2: p, stroke: '#333' }));
      if (side === 'left' && shown) parts.push(el('line', { x1: frame.left, x2: frame.right, y1: p, y2: p, stroke: '#eee' }));
      if (shown) parts.push(text({ x: x + 8 * dir, y: p + 4, 'text-anchor': side === 'left' ? 'end' : 'start' }, shown));
    }
  }
  const title =
    side === 'bottom'
      ? text({ x: (frame.left + frame.right) / 2, y: frame.bottom + 38, 'text-anchor': 'middle' }, label)
      : text(
          {
            x: 0,
            y: 0,
            'text-anchor': 'middle',
            transform: `translate(${side === 'left' ? 16 : WIDTH - 12},${(frame.top + frame.bottom) / 2}) rotate(-90)`,
          },
          label,
        );
  return el('g', { class: `axis axis-${side}`, 'font-size': 11 }, ...parts, title);
}

export interface LegendEntry {
  label: string;
  color: string;
  /** A line (default), a dashed line, a dot, a ring or a cross. */
  mark?: 'line' | 'dash' | 'dot' | 'ring' | 'cross';
}

/** A legend entry's symbol, centred vertically on `y`, starting at `x`. */
const MARKS: Record<NonNullable<LegendEntry['mark']>, (x: number, y: number, color: string) => string> = {
  line: (x, y, c) => el('line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: c, 'stroke-width': 2 }),
  dash: (x, y, c) => el('line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: c, 'stroke-width': 2, 'stroke-dasharray': '4 3' }),
  dot: (x, y, c) => el('circle', { cx: x + 9, cy: y, r: 3, fill: c }),
  ring: (x, y, c) => el('circle', { cx: x + 9, cy: y, r: 4, fill: 'white', stroke: c, 'stroke-width': 2 }),
  cross: (x, y, c) => el('path', { d: `M${x + 4},${y}h10M${x + 9},${y - 5}v10`, stroke: c, 'stroke-width': 2 }),
};

/** Where each entry goes: rows across the top, wrapping when a row is full. */
function legendPositions(entries: LegendEntry[], frame: Frame): Array<{ x: number; y: number }> {
  let x = frame.left;
  let y = 14;
  return entries.map((e) => {
    const w = 30 + e.label.length * 7; // 11px sans-serif: about 6–7px a character
    if (x + w > WIDTH - 10 && x > frame.left) {
      x = frame.left;
      y += 15;
    }
    const at = { x, y };
    x += w;
    return at;
  });
}

/** The plotting frame below a legend of these entries (more rows push the plot down). */
export function frameFor(entries: LegendEntry[], frame: Frame = FRAME): Frame {
  const rows = legendPositions(entries, frame).at(-1)?.y ?? 14;
  return { ...frame, top: Math.max(frame.top, rows + 16) };
}

export function legend(entries: LegendEntry[], frame: Frame): string {
  const at = legendPositions(entries, frame);
  const items = entries.flatMap((e, i) => {
    const { x, y } = at[i];
    const mark = MARKS[e.mark ?? 'line'](x, y - 4, e.color);
    return [mark, text({ x: x + 22, y }, e.label)];
  });
  return el('g', { class: 'legend', 'font-size': 11 }, ...items);
}

/** The whole document: white background, a frame clipped for the data, a title. */
export function document(title: string, body: string[], frame: Frame = FRAME): string {
  const clip = el(
    'clipPath',
    { id: 'plot' },
    el('rect', { x: frame.left, y: frame.top, width: frame.right - frame.left, height: frame.bottom - frame.top }),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width: WIDTH,
      height: HEIGHT,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      'font-family': 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif',
    },
    el('title', {}, escapeXml(title)),
    el('defs', {}, clip),
    el('rect', { width: WIDTH, height: HEIGHT, fill: 'white' }),
    el('rect', {
      x: frame.left,
      y: frame.top,
      width: frame.right - frame.left,
      height: frame.bottom - frame.top,
      fill: 'none',
      stroke: '#999',
    }),
    ...body,
  )}\n`;
}

/** Log when the values are positive and span more than `decades` powers of ten; linear otherwise. */
export function wantsLog(values: number[], decades = 1.3): boolean {
  const [low, high] = extent(values.filter(Number.isFinite));
  if (low === undefined || high === undefined || low <= 0) return false;
  return Math.log10(high / low) > decades;
}

/**
 * Raw points (each step's loss) as faint dots, under the line that smooths them: one path, a
 * zero-length segment per point, drawn round by the stroke's cap.
 */
export function dotSeries(label: string, points: Array<[number, number]>, stroke: string, opacity: number): string {
  return el('path', {
    class: 'series',
    'data-series': label,
    d: points.map(([x, y]) => `M${x.toFixed(1)},${y.toFixed(1)}h0`).join(''),
    stroke,
    'stroke-opacity': opacity,
    'stroke-width': 3,
    'stroke-linecap': 'round',
    fill: 'none',
  });
}

/** A message in place of the data ("no steps recorded yet"). */
export function emptyNote(message: string, frame: Frame = FRAME): string {
  return text({ x: (frame.left + frame.right) / 2, y: (frame.top + frame.bottom) / 2, 'text-anchor': 'middle', fill: '#666' }, message);
}
