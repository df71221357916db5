/**
 * The faster wasm MaxPoolGrad (faster.ts, max-pool-grad.ts) equals the cpu backend's, which
 * routes each window's gradient to its FIRST maximum in row-major order: on random values and on
 * values full of ties (relu zeros, small integers, all zeros), for tiling and for overlapping
 * windows. No tensor or buffer is left behind.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../src/engine/random.ts';
import { originalWasmKernel, registerFasterWasmKernels } from '../../../src/engine/wasm-kernels/faster.ts';
import { assertClose, liveCounts, loadBackends, on, randomInt, seededValues, sizeOf, type Shape4 } from './helpers.ts';

type Fill = 'normal' | 'relu' | 'integers' | 'zeros';
const FILLS: Fill[] = ['normal', 'relu', 'integers', 'zeros'];

interface PoolCase {
  x: Shape4;
  filterSize: [number, number];
  strides: [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'ceil';
  fill: Fill;
  seed: number;
}

const label = (c: PoolCase) => `x=${c.x} filter=${c.filterSize} strides=${c.strides} pad=${c.pad} ${c.dimRoundingMode ?? ''} ${c.fill}`;

function values(c: PoolCase): Float32Array {
  const v = seededValues(sizeOf(c.x), c.seed);
  if (c.fill === 'relu') return v.map((a) => Math.max(0, a));
  if (c.fill === 'integers') return v.map((a) => Math.max(-2, Math.min(2, Math.round(a))));
  if (c.fill === 'zeros') return v.fill(0);
  return v;
}

/**
 * batch 1–3, sides 4–13, channels 1–4, windows 1–3 per axis. `overlap` false: strides equal to the
 * window (the fast path), valid / same / a numeric pad (square windows, floor or ceil rounding).
 * `overlap` true: strides 1–3 with some stride other than its window (overlapping or gapped).
 */
function poolCases(count: number, seed: number, overlap: boolean): PoolCase[] {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => randomInt(random, lo, hi);
  return Array.from({ length: count }, (_, i): PoolCase => {
    const x: Shape4 = [int(1, 3), int(4, 13), int(4, 13), int(1, 4)];
    const fill = FILLS[i % FILLS.length];
    const kind = Math.floor(i / FILLS.length) % 3;
    const pad = (['valid', 'same', int(0, 1)] as const)[kind];
    const square = typeof pad === 'number';
    const fh = int(1, 3);
    const fw = square ? fh : int(1, 3);
    const strides: [number, number] = overlap ? [int(1, 3), int(1, 3)] : [fh, fw];
    if (square) strides[1] = strides[0];
    if (overlap && strides[0] === fh && strides[1] === fw) strides[0] = strides[1] = fh === 1 ? 2 : fh - 1;
    const dimRoundingMode = typeof pad === 'number' ? (i % 2 ? 'ceil' : 'floor') : undefined;
    return { x, filterSize: [fh, fw], strides, pad, dimRoundingMode, fill, seed: seed * 1000 + i };
  });
}

const attrsOf = (c: PoolCase): tf.NamedAttrMap => ({
  filterSize: c.filterSize,
  strides: c.strides,
  pad: c.pad,
  ...(c.dimRoundingMode ? { dimRoundingMode: c.dimRoundingMode } : {}),
});

/** MaxPoolGrad called through the engine on the backend in use: its inputs as tfjs's maxPool gradient builds them. */
function maxPoolGrad(c: PoolCase, kernel?: tf.KernelFunc): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c), c.x);
    const output = tf.engine().runKernel<tf.Tensor>('MaxPool', { x }, attrsOf(c));
    const dy = tf.tensor(seededValues(sizeOf(output.shape), c.seed + 1), output.shape);
    const inputs = { dy, input: x, output };
    const dx =
      kernel === undefined
        ? tf.engine().runKernel<tf.Tensor>('MaxPoolGrad', inputs, attrsOf(c))
        : tf.engine().makeTensorFromTensorInfo(kernel({ inputs, backend: tf.backend(), attrs: attrsOf(c) }) as tf.TensorInfo);
    assert.deepEqual(dx.shape, c.x, `dx shape, ${label(c)}`);
    return dx.dataSync() as Float32Array;
  });
}

describe('faster wasm MaxPoolGrad against the cpu backend', () => {
  before(loadBackends);

  it("replaces wasm's MaxPoolGrad and Conv2DBackpropInput once, keeping the originals", () => {
    for (const name of ['MaxPoolGrad', 'Conv2DBackpropInput']) {
      const original = originalWasmKernel(name);
      assert.ok(original, name);
      assert.notEqual(tf.getKernel(name, 'wasm')?.kernelFunc, original, name);
    }
    assert.deepEqual(registerFasterWasmKernels(), []);
  });

  it('non-overlapping windows: equals cpu exactly on 96 random cases, a quarter of them all ties', async () => {
    for (const c of poolCases(96, 11, false)) {
      const expected = await on('cpu', () => maxPoolGrad(c));
      const actual = await on('wasm', () => maxPoolGrad(c));
      assert.deepEqual(actual, expected, label(c));
    }
  });

  it("the benchmark CNN's shape, relu outputs (many zero ties), 2×2 windows: equals cpu exactly", async () => {
    const c: PoolCase = { x: [8, 26, 26, 8], filterSize: [2, 2], strides: [2, 2], pad: 'valid', fill: 'relu', seed: 77 };
    assert.deepEqual(await on('wasm', () => maxPoolGrad(c)), await on('cpu', () => maxPoolGrad(c)));
  });

  it('overlapping or gapped windows: matches cpu on 48 random cases, a quarter all ties (sums of routed gradients: to 1e-4)', async () => {
    for (const c of poolCases(48, 12, true)) {
      const expected = await on('cpu', () => maxPoolGrad(c));
      assertClose(await on('wasm', () => maxPoolGrad(c)), expected, label(c));
    }
  });

  it("wasm's original kernel, the fallback for non-float32 input, loses gradient with overlapping windows", async () => {
    const c: PoolCase = { x: [1, 4, 4, 1], filterSize: [2, 2], strides: [1, 1], pad: 'valid', fill: 'normal', seed: 5 };
    const original = await on('wasm', () => maxPoolGrad(c, originalWasmKernel('MaxPoolGrad')));
    assert.notDeepEqual(original, await on('cpu', () => maxPoolGrad(c)));
  });

  it('leaves no tensor and no backend buffer behind after 100 more calls', async () => {
    const cases = [...poolCases(8, 13, false), ...poolCases(2, 14, true)];
    await on('wasm', () => {
      for (const c of cases) maxPoolGrad(c);
    });
    const baseline = liveCounts();
    await on('wasm', () => {
      for (let i = 0; i < 10; i++) for (const c of cases) maxPoolGrad(c);
    });
    assert.deepEqual(liveCounts(), baseline);
  });
});
