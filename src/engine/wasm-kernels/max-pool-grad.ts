/**
 * MaxPoolGrad for wasm from XNNPACK-fast ops (MaxPool, depthwise conv, same-shape arithmetic)
 * instead of wasm's own per-pixel loop — which is slow, and with overlapping windows sometimes
 * drops a gradient the cpu backend gives. Non-float32 inputs go to `fallback` (the original).
 *
 * Window (p,q) of pool size (fh,fw), strides (sh,sw), pads top/left, covers rows
 * p·sh − top + r and columns q·sw − left + c for 0 ≤ r < fh, 0 ≤ c < fw. The cpu backend gives
 *   dx[b, p·sh − top + r, q·sw − left + c, ch] += dy[b,p,q,ch]   for (r,c) the FIRST maximum of
 * window (p,q) in row-major (r,c) order (a strict `>` scan; out-of-bounds cells skipped).
 * Here, with cell k = r·fw + c < K = fh·fw and n over N = B·OH·OW·C:
 *   xp       = x padded with −FLT_MAX (or cropped) to exactly the windows' extent
 *   m[n]     = MaxPool(xp)                            (the window maxima)
 *   P[k][n]  = xp[b, p·sh + r, q·sw + c, ch]          (a depthwise conv with strides (sh,sw) and the
 *              one-hot filter e_k[r',c',ch] = [r'·fw + c' = k]: exact)
 *   rem₀ = dy;  lt_k = Step(m − P[k]) (1 where P[k] < m, else 0);  rem_{k+1} = lt_k·rem_k;
 *   g_k = rem_k − rem_{k+1}  (dy at the first k with P[k] = m, +0 elsewhere, as on cpu)
 * and dx is the g_k scattered back to their cells (max-pool-scatter.ts), cropped / zero-filled to x.
 * The −FLT_MAX padding (−∞ would make −∞·0 = NaN in the convolution) is never the first maximum
 * unless the window's own cells are all −FLT_MAX or −∞. Known differences from cpu, all on
 * degenerate inputs: windows containing NaN or ±∞, and ±∞/NaN in dy.
 */
import * as tf from '@tensorflow/tfjs';
import { input, type KernelScope, withKernelScope } from './kernel-scope.ts';
import { scatterCells, type PoolShape } from './max-pool-scatter.ts';

/** Along one axis: keep cells [0, end) of the input, pad `before` cells in front, `after` behind. */
interface Fit {
  before: number;
  end: number;
  after: number;
}

/** The windows cover [−top, (count − 1)·stride + size − top) of an axis of `length` cells. */
function fit(length: number, count: number, size: number, stride: number, top: number): Fit {
  const covered = (count - 1) * stride + size - top;
  return { before: top, end: Math.min(length, covered), after: Math.max(0, covered - length) };
}

/** x cropped to the covered cells and padded with `value` to exactly the windows' extent. */
function toWindows(s: KernelScope, x: tf.TensorInfo, rows: Fit, cols: Fit, value: number): tf.TensorInfo {
  const [b, , , c] = x.shape;
  const cropped = s.slice(x, [0, 0, 0, 0], [b, rows.end, cols.end, c]);
  return s.pad(
    cropped,
    [
      [0, 0],
      [rows.before, rows.after],
      [cols.before, cols.after],
      [0, 0],
    ],
    value,
  );
}

/** The inverse: drop the padding (and anything past it), zero-fill the cells no window covers → x's shape. */
function fromWindows(s: KernelScope, g: tf.TensorInfo, xShape: number[], rows: Fit, cols: Fit): tf.TensorInfo {
  const [b, h, w, c] = xShape;
  const inside = s.slice(g, [0, rows.before, cols.before, 0], [b, rows.end, cols.end, c]);
  return s.pad(inside, [
    [0, 0],
    [0, h - rows.end],
    [0, w - cols.end],
    [0, 0],
  ]);
}

const FLT_MAX = 3.4028234663852886e38;

/** The depthwise filter [fh, fw, C, 1] that picks cell k = r·fw + c of each window. */
function oneHotFilter(s: KernelScope, fh: number, fw: number, c: number, k: number): tf.TensorInfo {
  const values = new Float32Array(fh * fw * c);
  values.fill(1, k * c, (k + 1) * c);
  return s.constant(values, [fh, fw, c, 1]);
}

export function maxPoolGradFirstMax(args: Parameters<tf.KernelFunc>[0], fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend } = args;
  const dy = input(inputs, 'dy', tf.MaxPoolGrad);
  const x = input(inputs, 'input', tf.MaxPoolGrad);
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) return fallback(args);
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const [b, , , c] = x.shape;
  const rows = fit(x.shape[1], oh, fh, sh, info.padInfo.top);
  const cols = fit(x.shape[2], ow, fw, sw, info.padInfo.left);
  const pool: PoolShape = { b, oh, ow, c, fh, fw, sh, sw };
  const n = b * oh * ow * c;
  return withKernelScope(backend as tf.KernelBackend, (s) => {
    const xp = toWindows(s, x, rows, cols, -FLT_MAX);
    const m = s.reshape(s.run('MaxPool', { x: xp }, { filterSize: [fh, fw], strides: [sh, sw], pad: 'valid' }), [n]);
    const plane = (i: number) =>
      s.reshape(
        s.run(
          'DepthwiseConv2dNative',
          { x: xp, filter: oneHotFilter(s, fh, fw, c, i) },
          {
            strides: [sh, sw],
            pad: 'valid',
            dilations: [1, 1],
            dataFormat: 'NHWC',
          },
        ),
        [n],
      );
    let rem = s.reshape(dy, [n]);
    const routed: tf.TensorInfo[] = [];
    for (let i = 0; i < fh * fw; i++) {
      const lt = s.run('Step', { x: s.run('Sub', { a: m, b: plane(i) }) }, { alpha: 0 });
      const next = s.run('Multiply', { a: lt, b: rem });
      routed.push(s.run('Sub', { a: rem, b: next }));
      rem = next;
    }
    return fromWindows(s, scatterCells(s, routed, pool), x.shape, rows, cols);
  });
}
