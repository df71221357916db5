/**
 * Conv2DBackpropInput for wasm (the transposed convolution), as one stride-1 convolution
 * (XNNPACK Conv2D) of the zero-stuffed output gradient with the flipped, transposed filter —
 * wasm's own kernel is a plain loop, ~10× slower than its forward Conv2D. NCHW and dilations > 1
 * go to `fallback` (wasm's original kernel).
 *
 * Forward: y[b,oh,ow,co] = Σ_{kh,kw,ci} x[b, oh·sh + kh − top, ow·sw + kw − left, ci] · w[kh,kw,ci,co]
 * so
 *   dx[b,h,w,ci] = Σ_{co,kh,kw} dy[b,oh,ow,co] · w[kh,kw,ci,co]   over oh·sh + kh − top = h (same for w).
 * With dyS[b, oh·sh, ow·sw, :] = dy[b,oh,ow,:] (zeros between, OH·sh rows) and the filter
 * wF[kh',kw',co,ci] = w[KH−1−kh', KW−1−kw', ci, co]:
 *   dx[b,h,w,ci] = Σ_{kh',kw',co} dyS[b, h + kh' − ((KH−1) − top), w + kw' − ((KW−1) − left), co] · wF[kh',kw',co,ci],
 * a stride-1 conv whose padding / crop per axis come from `planAxis`.
 */
import * as tf from '@tensorflow/tfjs';
import { stuffZeros } from './depthwise-backprop-input.ts';
import { explicitPad, forwardGeometry, planAxis } from './geometry.ts';
import { input, withKernelScope } from './kernel-scope.ts';

/** tfjs never passes dilations here (its conv2d gradient refuses them); > 1 goes to the fallback. */
type Attrs = tf.Conv2DBackpropInputAttrs & { dilations?: number | [number, number] };

export function conv2DBackpropInputStuffed(args: Parameters<tf.KernelFunc>[0], fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend } = args;
  const dy = input(inputs, 'dy', tf.Conv2DBackpropInput);
  const filter = input(inputs, 'filter', tf.Conv2DBackpropInput);
  const forward = args.attrs as unknown as Attrs;
  const dilated = [forward.dilations ?? 1].flat().some((d) => d !== 1);
  if (forward.dataFormat === 'NCHW' || dilated || dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args);
  const [kh, kw, ci] = filter.shape;
  const {
    strides: [sh, sw],
    top,
    left,
  } = forwardGeometry(forward.inputShape, filter.shape, { ...forward, dilations: 1 }, false);
  const [b, h, w] = forward.inputShape;
  const [, oh, ow] = dy.shape;
  const rows = planAxis(oh * sh, kh, 1, 1, kh - 1 - top, h);
  const cols = planAxis(ow * sw, kw, 1, 1, kw - 1 - left, w);
  return withKernelScope(backend as tf.KernelBackend, (s) => {
    const dyS = stuffZeros(s, dy, sh, sw);
    const flipped = s.transpose(s.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    const out = s.run(
      'Conv2D',
      { x: dyS, filter: flipped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: explicitPad(rows, cols),
        dataFormat: 'NHWC',
      },
    );
    return s.slice(out, [0, rows.crop, cols.crop, 0], [b, h, w, ci]);
  });
}
