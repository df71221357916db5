/** Index arithmetic shared by the gradient kernels: the forward conv's geometry, pads and crops. */
import * as tf from '@tensorflow/tfjs';

export interface AxisPlan {
  before: number;
  after: number;
  crop: number;
}

/**
 * Where a gradient-as-convolution must start and stop along one spatial axis.
 *
 * The inner convolution (stride `stride`, dilation `dilation`, `taps` kernel taps, zero padding
 * `before`/`after`, input length `length`) computes
 *   out[i] = Σ_t in[i·stride + t·dilation − before]        (in[j] = 0 outside 0 ≤ j < length)
 * and we want
 *   want[i] = Σ_t in[i·stride + t·dilation − shift]        for 0 ≤ i < count.
 * So before = max(0, shift) and want[i] = out[i + crop] with crop·stride = before − shift; `after`
 * adds just enough zeros (never negative) for out to reach crop + count rows; a longer out is
 * sliced to [crop, crop + count).
 */
export function planAxis(length: number, taps: number, dilation: number, stride: number, shift: number, count: number): AxisPlan {
  const before = Math.max(0, shift);
  const crop = (before - shift) / stride;
  if (!Number.isInteger(crop)) throw new Error(`wasm-kernels: padding ${shift} cannot be cropped at stride ${stride}`);
  const effectiveTaps = (taps - 1) * dilation + 1;
  // out has ⌊(length + before + after − effectiveTaps) / stride⌋ + 1 entries; need ≥ crop + count.
  const after = Math.max(0, (crop + count - 1) * stride + effectiveTaps - length - before);
  return { before, after, crop };
}

/** The [[0,0],[top,bottom],[left,right],[0,0]] padding an NHWC conv kernel takes. */
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

export function explicitPad(rows: AxisPlan, cols: AxisPlan): ExplicitPad {
  return [
    [0, 0],
    [rows.before, rows.after],
    [cols.before, cols.after],
    [0, 0],
  ];
}

type Pair = number | [number, number];

/** [height, width] from a tfjs `number | [number, number]` attribute (absent means 1). */
function pair(value: Pair | undefined): [number, number] {
  if (value === undefined) return [1, 1];
  return typeof value === 'number' ? [value, value] : value;
}

/** The forward convolution a gradient kernel differentiates, as its attributes describe it. */
export interface ForwardAttrs {
  strides: Pair;
  dilations?: Pair;
  pad: 'valid' | 'same' | number | ExplicitPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Strides (sh, sw), dilations (dh, dw) and tfjs's own top/left padding of the forward conv. */
export interface ForwardGeometry {
  strides: [number, number];
  dilations: [number, number];
  top: number;
  left: number;
}

export function forwardGeometry(xShape: number[], filterShape: number[], attrs: ForwardAttrs, depthwise: boolean): ForwardGeometry {
  const { strides, dilations, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
  );
  return { strides: pair(strides), dilations: pair(dilations), top: info.padInfo.top, left: info.padInfo.left };
}
