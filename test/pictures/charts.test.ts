/** The chart builders alone: contour levels, escaping of user text, axes that fit the data. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { contourLevels } from '../../src/pictures/contour-plot.ts';
import { lossChart } from '../../src/pictures/loss-chart.ts';
import { comparisonChart } from '../../src/pictures/comparison-chart.ts';
import { FUNCTIONS } from '../../src/playground/functions.ts';

/** f on a 50×50 grid over the square [lo, hi]². */
function grid(f: (x: number, y: number) => number, lo: number, hi: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) values.push(f(lo + ((hi - lo) * i) / 49, lo + ((hi - lo) * j) / 49));
  return values;
}

describe('contour levels', () => {
  test('Rosenbrock (non-negative, spanning decades): a geometric sequence, every level above 0', () => {
    const levels = contourLevels(grid(FUNCTIONS.rosenbrock.value, -2, 2));
    assert.ok(levels.length >= 10);
    assert.ok(levels[0] > 0);
    const ratios = levels.slice(1).map((l, i) => l / levels[i]);
    for (const r of ratios) assert.ok(Math.abs(r - ratios[0]) < 1e-9 * ratios[0], `ratio ${r} vs ${ratios[0]}`);
    assert.ok(levels[levels.length - 1] / levels[0] > 1e3, 'spans decades');
  });

  test('the saddle (negative values): equally spaced levels on both sides of 0', () => {
    const levels = contourLevels(grid(FUNCTIONS.saddle.value, -2, 2));
    assert.ok(levels[0] < 0 && levels[levels.length - 1] > 0);
    const steps = levels.slice(1).map((l, i) => l - levels[i]);
    for (const s of steps) assert.ok(Math.abs(s - steps[0]) < 1e-9, `step ${s} vs ${steps[0]}`);
  });
});

describe('charts', () => {
  const steps = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 2 / (i + 1), learningRate: 0.01 }));
  const parse = (svg: string) =>
    new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(svg, 'image/svg+xml');

  test('user text (a job name, a label) is escaped: the SVG stays one well-formed document', () => {
    const name = 'a <b>"name"</b> & </svg><script>alert(1)</script>';
    const doc = parse(lossChart(name, steps, []));
    assert.equal(doc.getElementsByTagName('title')[0].textContent, name);
    assert.equal(doc.getElementsByTagName('script').length, 0);
    const cmp = parse(comparisonChart('c', [{ label: name, steps }]));
    assert.equal(cmp.getElementsByTagName('g').length > 0, true);
    assert.equal(cmp.getElementsByTagName('script').length, 0);
  });

  test('a loss spanning two decades gets a log axis labelled in powers of ten; a flat one a linear axis', () => {
    const labels = (svg: string) =>
      [...parse(svg).getElementsByTagName('g')].filter((g) => g.getAttribute('class') === 'axis axis-left')[0].getElementsByTagName('text');
    const logAxis = [...labels(lossChart('t', steps, []))].map((t) => t.textContent);
    assert.ok(logAxis.includes('1') && logAxis.includes('0.1'), logAxis.join(' '));
    const flat = steps.map((s) => ({ ...s, loss: 1 + s.step / 1000 }));
    const linear = [...labels(lossChart('t', flat, []))].map((t) => Number(t.textContent)).filter(Number.isFinite);
    const gaps = linear.slice(1).map((v, i) => +(v - linear[i]).toFixed(10));
    assert.ok(
      gaps.every((g) => g === gaps[0]),
      `linear ticks ${linear.join(' ')}`,
    );
  });
});
