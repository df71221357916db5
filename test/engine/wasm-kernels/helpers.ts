/** Shared by the wasm-kernels tests: backends, seeded data, tolerances, brute-force references. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend.ts';
import { mulberry32, normal, type Random } from '../../../src/engine/random.ts';

export type Shape4 = [number, number, number, number];
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
export type Pad = 'valid' | 'same' | number | ExplicitPadding;

/** Loads wasm through the service's own path (which registers our kernels) and cpu, ends on wasm. */
export async function loadBackends(): Promise<void> {
  await initBackend('cpu');
  await initBackend('wasm');
}

export async function on<T>(backend: 'cpu' | 'wasm', body: () => T): Promise<T> {
  assert.ok(await tf.setBackend(backend));
  return body();
}

export function randomInt(random: Random, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Standard normal values from a seed, as a plain array that any backend can take. */
export function seededValues(size: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: size }, () => normal(random));
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** float32 tolerance: |actual − expected| ≤ 1e-4 + 1e-4·|expected| everywhere. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > 1e-4 + 1e-4 * Math.abs(expected[i])) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
    }
  }
}

/** Engine tensors and backend buffers: a kernel that leaks intermediates grows the second. */
export function liveCounts(): { tensors: number; buffers: number } {
  return { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
}

export interface Geometry {
  x: Shape4; // [B, H, W, C]
  dy: Shape4; // [B, OH, OW, CO]
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  top: number;
  left: number;
}

/** tfjs's own geometry for a forward conv, so the references share its padding rules. */
export function geometry(
  x: Shape4,
  filter: Shape4,
  strides: [number, number],
  dilations: [number, number],
  pad: Pad,
  depthwise: boolean,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(x, filter, strides, dilations, pad, undefined, depthwise);
  return {
    x,
    dy: info.outShape,
    kernel: [filter[0], filter[1]],
    strides,
    dilations,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Visits every (b, oh, ow, kh, kw) whose forward tap lands inside x:
 * h = oh·sh + kh·dh − top, w = ow·sw + kw·dw − left (the definition of a padded, strided,
 * dilated convolution). The references below are sums over these visits, straight from the
 * formulas, independent of tfjs's kernels.
 */
function forEachTap(g: Geometry, visit: (b: number, oh: number, ow: number, h: number, w: number, kh: number, kw: number) => void): void {
  const [batch, height, width] = g.x;
  const [, outH, outW] = g.dy;
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++) {
        for (let kh = 0; kh < g.kernel[0]; kh++)
          for (let kw = 0; kw < g.kernel[1]; kw++) {
            const h = oh * g.strides[0] + kh * g.dilations[0] - g.top;
            const w = ow * g.strides[1] + kw * g.dilations[1] - g.left;
            if (h >= 0 && h < height && w >= 0 && w < width) visit(b, oh, ow, h, w, kh, kw);
          }
      }
}

const at = (shape: readonly number[], ...index: number[]) => index.reduce((flat, i, axis) => flat * shape[axis] + i, 0);

/** conv2d: dW[kh,kw,ci,co] = Σ x[b,h,w,ci]·dy[b,oh,ow,co]. */
export function convFilterGradReference(g: Geometry, x: Float32Array, dy: Float32Array): Float64Array {
  const ci = g.x[3],
    co = g.dy[3];
  const fShape = [g.kernel[0], g.kernel[1], ci, co];
  const dW = new Float64Array(sizeOf(fShape));
  forEachTap(g, (b, oh, ow, h, w, kh, kw) => {
    for (let i = 0; i < ci; i++)
      for (let o = 0; o < co; o++) {
        dW[at(fShape, kh, kw, i, o)] += x[at(g.x, b, h, w, i)] * dy[at(g.dy, b, oh, ow, o)];
      }
  });
  return dW;
}

/** depthwise: dW[kh,kw,c,m] = Σ x[b,h,w,c]·dy[b,oh,ow,c·M+m]. */
export function depthwiseFilterGradReference(g: Geometry, x: Float32Array, dy: Float32Array, multiplier: number): Float64Array {
  const c = g.x[3];
  const fShape = [g.kernel[0], g.kernel[1], c, multiplier];
  const dW = new Float64Array(sizeOf(fShape));
  forEachTap(g, (b, oh, ow, h, w, kh, kw) => {
    for (let i = 0; i < c; i++)
      for (let m = 0; m < multiplier; m++) {
        dW[at(fShape, kh, kw, i, m)] += x[at(g.x, b, h, w, i)] * dy[at(g.dy, b, oh, ow, i * multiplier + m)];
      }
  });
  return dW;
}

/** depthwise: dx[b,h,w,c] = Σ dy[b,oh,ow,c·M+m]·w[kh,kw,c,m]. */
export function depthwiseInputGradReference(g: Geometry, dy: Float32Array, filter: Float32Array, multiplier: number): Float64Array {
  const c = g.x[3];
  const fShape = [g.kernel[0], g.kernel[1], c, multiplier];
  const dx = new Float64Array(sizeOf(g.x));
  forEachTap(g, (b, oh, ow, h, w, kh, kw) => {
    for (let i = 0; i < c; i++)
      for (let m = 0; m < multiplier; m++) {
        dx[at(g.x, b, h, w, i)] += dy[at(g.dy, b, oh, ow, i * multiplier + m)] * filter[at(fShape, kh, kw, i, m)];
      }
  });
  return dx;
}
