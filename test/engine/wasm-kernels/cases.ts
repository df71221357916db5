/** Seeded random convolution cases, and their gradients through tf.grads on one backend. */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../src/engine/random.ts';
import { randomInt, seededValues, sizeOf, type Pad, type Shape4 } from './helpers.ts';

export interface ConvCase {
  depthwise: boolean;
  x: Shape4; // [B, H, W, C]
  filter: Shape4; // conv2d [KH, KW, C, CO]; depthwise [KH, KW, C, M]
  strides: [number, number];
  pad: Pad;
  seed: number;
}

export function describeCase(c: ConvCase): string {
  return `x=${c.x} filter=${c.filter} strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
}

/**
 * batch 1–3, sides 5–12, channels 1–4, kernels 1–4, strides 1–3, valid/same/number/explicit pads.
 * A numeric pad comes with a square kernel and equal strides: tfjs 4.22 computes the output width
 * of a numeric pad from the kernel height and row stride (conv_util computeOutputShape2D), so other
 * shapes get a wrong output shape — and on wasm a heap overrun in the forward Conv2D itself.
 */
export function randomCases(count: number, seed: number, depthwise: boolean): ConvCase[] {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => randomInt(random, lo, hi);
  return Array.from({ length: count }, (_, i): ConvCase => {
    const pads: Pad[] = [
      'valid',
      'same',
      int(0, 2),
      [
        [0, 0],
        [int(0, 2), int(0, 2)],
        [int(0, 2), int(0, 2)],
        [0, 0],
      ],
    ];
    const pad = pads[i % pads.length];
    const square = typeof pad === 'number';
    const [kh, sh] = [int(1, 4), int(1, 3)];
    const [kw, sw] = square ? [kh, sh] : [int(1, 4), int(1, 3)];
    const x: Shape4 = [int(1, 3), int(5, 12), int(5, 12), int(1, 4)];
    return { depthwise, x, filter: [kh, kw, x[3], int(1, 4)], strides: [sh, sw], pad, seed: seed * 1000 + i };
  });
}

function forward(c: ConvCase, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return c.depthwise ? tf.depthwiseConv2d(x, filter, c.strides, c.pad) : tf.conv2d(x, filter, c.strides, c.pad);
}

export interface Grads {
  dx: Float32Array;
  dw: Float32Array;
  outShape: number[];
}

/**
 * d/dx and d/dw of Σ conv(x, w)·r, r a fixed random tensor of the output's shape: on the backend
 * in use, from the same seeded values on every backend.
 */
export function convGrads(c: ConvCase): Grads {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(sizeOf(c.x), c.seed), c.x);
    const w = tf.tensor4d(seededValues(sizeOf(c.filter), c.seed + 1), c.filter);
    const outShape = forward(c, x, w).shape;
    const r = tf.tensor(seededValues(sizeOf(outShape), c.seed + 2), outShape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(c, a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, outShape };
  });
}
