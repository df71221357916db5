/**
 * The three kernels called directly on wasm (tf.engine().runKernel), including dilations > 1,
 * which tfjs's gradients refuse and whose cpu kernels ignore: expected values are brute-force
 * sums over the convolution's definition (helpers.ts), computed in float64.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../src/engine/random.ts';
import {
  assertClose,
  convFilterGradReference,
  depthwiseFilterGradReference,
  depthwiseInputGradReference,
  geometry,
  liveCounts,
  loadBackends,
  randomInt,
  seededValues,
  sizeOf,
  type Pad,
  type Shape4,
} from './helpers.ts';

interface DilatedCase {
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  seed: number;
}

/** Dilations 1–2 per axis; with any dilation > 1 strides are 1 (tfjs's rule), else 1–3. */
function dilatedCases(count: number, seed: number): DilatedCase[] {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => randomInt(random, lo, hi);
  return Array.from({ length: count }, (_, i): DilatedCase => {
    const dilations: [number, number] = [int(1, 2), int(1, 2)];
    const dilated = dilations[0] > 1 || dilations[1] > 1;
    const strides: [number, number] = dilated ? [1, 1] : [int(1, 3), int(1, 3)];
    const pads: Pad[] = [
      'valid',
      'same',
      [
        [0, 0],
        [int(0, 2), int(0, 2)],
        [int(0, 2), int(0, 2)],
        [0, 0],
      ],
    ];
    const x: Shape4 = [int(1, 3), int(5, 12), int(5, 12), int(1, 4)];
    return { x, filter: [int(1, 3), int(1, 3), x[3], int(1, 4)], strides, dilations, pad: pads[i % 3], seed: seed * 1000 + i };
  });
}

const label = (c: DilatedCase) => `x=${c.x} filter=${c.filter} strides=${c.strides} dilations=${c.dilations} pad=${JSON.stringify(c.pad)}`;

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(kernel, inputs, attrs as tf.NamedAttrMap);
}

/** Runs one kernel on wasm for case c; checks its shape and values against the reference. */
function check(c: DilatedCase, depthwise: boolean, kernel: string, grad: 'filter' | 'input'): void {
  const g = geometry(c.x, c.filter, c.strides, c.dilations, c.pad, depthwise);
  const xv = seededValues(sizeOf(c.x), c.seed),
    wv = seededValues(sizeOf(c.filter), c.seed + 1);
  const dyv = seededValues(sizeOf(g.dy), c.seed + 2);
  const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter, inputShape: c.x };
  const expectedShape = grad === 'filter' ? c.filter : c.x;
  const expected =
    grad === 'input'
      ? depthwiseInputGradReference(g, dyv, wv, c.filter[3])
      : depthwise
        ? depthwiseFilterGradReference(g, xv, dyv, c.filter[3])
        : convFilterGradReference(g, xv, dyv);
  const actual = tf.tidy(() => {
    const dy = tf.tensor4d(dyv, g.dy);
    const inputs: tf.NamedTensorMap = grad === 'filter' ? { x: tf.tensor4d(xv, c.x), dy } : { dy, filter: tf.tensor4d(wv, c.filter) };
    const out = run(kernel, inputs, attrs);
    assert.deepEqual(out.shape, expectedShape, `${kernel} shape, ${label(c)}`);
    return out.dataSync() as Float32Array;
  });
  assertClose(actual, expected, `${kernel} ${label(c)}`);
}

describe('wasm gradient kernels called directly', () => {
  before(async () => {
    await loadBackends();
    await tf.setBackend('wasm');
  });

  it("Conv2DBackpropFilter gives dW of the filter's shape, also with dilations", () => {
    for (const c of dilatedCases(36, 5)) check(c, false, 'Conv2DBackpropFilter', 'filter');
  });

  it('DepthwiseConv2dNativeBackpropFilter gives dW, channel multiplier 1–4, also with dilations', () => {
    for (const c of dilatedCases(36, 6)) check(c, true, 'DepthwiseConv2dNativeBackpropFilter', 'filter');
  });

  it("DepthwiseConv2dNativeBackpropInput gives dx of the input's shape, also with dilations", () => {
    for (const c of dilatedCases(36, 7)) check(c, true, 'DepthwiseConv2dNativeBackpropInput', 'input');
  });

  it('frees every intermediate buffer: 120 more direct calls leave the counts where they were', () => {
    const cases = dilatedCases(10, 8);
    const all = () => {
      for (const c of cases) {
        check(c, false, 'Conv2DBackpropFilter', 'filter');
        check(c, true, 'DepthwiseConv2dNativeBackpropFilter', 'filter');
        check(c, true, 'DepthwiseConv2dNativeBackpropInput', 'input');
      }
    };
    all();
    const baseline = liveCounts();
    for (let i = 0; i < 4; i++) all();
    assert.deepEqual(liveCounts(), baseline);
  });

  it("refuses dataFormat 'NCHW' with a message naming NHWC", () => {
    const baseline = liveCounts();
    tf.tidy(() => {
      const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [2, 2, 1, 1] };
      assert.throws(() => run('Conv2DBackpropFilter', { x: tf.zeros([1, 1, 4, 4]), dy: tf.zeros([1, 1, 3, 3]) }, attrs), /NHWC/);
    });
    assert.deepEqual(liveCounts(), baseline);
  });
});
