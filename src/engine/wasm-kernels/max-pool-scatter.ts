/**
 * MaxPoolGrad's last step: the gradient routed to cell k = r·fw + c of each window
 * (routed[k][n], n = (b,p,q,ch)) back to the padded input's layout,
 *   dxp[b, p·sh + r, q·sw + c, ch] = Σ over the windows and cells landing there of routed[k][b,p,q,ch]
 * (rows and columns past the padded input are left on: the caller crops once).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelScope } from './kernel-scope.ts';

export interface PoolShape {
  b: number;
  oh: number;
  ow: number;
  c: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
}

/**
 * Windows of size (th,tw) that tile: g = [th, tw, B·OH·OW, C] (plane r·tw + c) to
 * [B, OH·th, OW·tw, C], a permutation done as two transposes of rank ≤ 4 (wasm's rank-5
 * transpose is ~50× slower): → [th, B·OH·OW, tw, C] = [th, B·OH, OW·tw·C] → [B·OH, th, OW·tw·C].
 */
function scatterTiles(s: KernelScope, g: tf.TensorInfo, { b, oh, ow, c }: PoolShape, th: number, tw: number): tf.TensorInfo {
  const back = s.transpose(s.reshape(g, [th, tw, b * oh * ow, c]), [0, 2, 1, 3]);
  const windows = s.transpose(s.reshape(back, [th, b * oh, ow * tw * c]), [1, 0, 2]);
  return s.reshape(windows, [b, oh * th, ow * tw, c]);
}

/**
 * Cells r = α·sh + r₀, c = β·sw + c₀ (0 ≤ r₀ < sh, 0 ≤ c₀ < sw) of one group (α,β) land on
 * disjoint (sh,sw) tiles: rows p·sh + r₀ shifted by α·sh. So each group is one tile scatter (cells
 * past the window: zero planes), shifted by (α·sh, β·sw) with a zero pad onto a canvas that may
 * extend past the padded input (the caller crops), and the ⌈fh/sh⌉·⌈fw/sw⌉ groups are summed.
 * Windows that tile (strides = window) are the single group (0,0), no shift.
 */
export function scatterCells(s: KernelScope, routed: tf.TensorInfo[], pool: PoolShape): tf.TensorInfo {
  const { b, oh, ow, c, fh, fw, sh, sw } = pool;
  const n = b * oh * ow * c;
  // the canvas: every shifted group fits, no crop (wasm's Slice copies the whole input first)
  const [hc, wc] = [(Math.ceil(fh / sh) - 1) * sh + oh * sh, (Math.ceil(fw / sw) - 1) * sw + ow * sw];
  let zero: tf.TensorInfo | undefined;
  let sum: tf.TensorInfo | undefined;
  for (let alpha = 0; alpha * sh < fh; alpha++) {
    for (let beta = 0; beta * sw < fw; beta++) {
      const planes: tf.TensorInfo[] = [];
      for (let r0 = 0; r0 < sh; r0++) {
        for (let c0 = 0; c0 < sw; c0++) {
          const [r, col] = [alpha * sh + r0, beta * sw + c0];
          planes.push(r < fh && col < fw ? routed[r * fw + col] : (zero ??= s.constant(new Float32Array(n), [n])));
        }
      }
      const g = planes.length === 1 ? planes[0] : s.run('Concat', planes as unknown as tf.NamedTensorInfoMap, { axis: 0 });
      const [top, left] = [alpha * sh, beta * sw];
      const shifted = s.pad(scatterTiles(s, g, pool, sh, sw), [
        [0, 0],
        [top, hc - top - oh * sh],
        [left, wc - left - ow * sw],
        [0, 0],
      ]);
      sum = sum === undefined ? shifted : s.run('Add', { a: sum, b: shifted });
    }
  }
  if (sum === undefined) throw new Error('wasm MaxPoolGrad: empty window');
  return sum;
}
