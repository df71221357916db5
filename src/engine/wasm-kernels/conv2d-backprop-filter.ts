/**
 * Conv2DBackpropFilter for wasm: the filter gradient of a convolution is a convolution of the
 * input with the output gradient, run by the wasm backend's own Conv2D (XNNPACK).
 *
 * Forward (NHWC, pads top/left from tfjs's padInfo):
 *   y[b,oh,ow,co] = Σ_{kh,kw,ci} x[b, oh·sh + kh·dh − top, ow·sw + kw·dw − left, ci] · w[kh,kw,ci,co]
 * so
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, kh·dh + oh·sh − top, kw·dw + ow·sw − left, ci] · dy[b,oh,ow,co].
 * With xT[ci,h,w,b] = x[b,h,w,ci] (batch and channels swapped) and dyT[oh,ow,b,co] = dy[b,oh,ow,co]
 * as the filter, that is conv2d(xT, dyT) with strides (dh,dw) and dilations (sh,sw) — the forward
 * ones swapped — giving out[ci,kh,kw,co]; dW = transpose(out, [1,2,0,3]). Padding and cropping per
 * axis come from `planAxis`.
 */
import * as tf from '@tensorflow/tfjs';
import { explicitPad, forwardGeometry, planAxis } from './geometry.ts';
import { input, withKernelScope } from './kernel-scope.ts';

/** tfjs never passes dilations here (its conv2d gradient refuses them); honoured if present. */
type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

function conv2DBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = input(inputs, 'x', tf.Conv2DBackpropFilter);
  const dy = input(inputs, 'dy', tf.Conv2DBackpropFilter);
  const forward = attrs as unknown as Attrs;
  if (forward.dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got 'NCHW'");
  const [kh, kw, ci, co] = forward.filterShape;
  const {
    strides: [sh, sw],
    dilations: [dh, dw],
    top,
    left,
  } = forwardGeometry(x.shape, forward.filterShape, forward, false);
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  // Inner conv along rows: input length h, oh taps at dilation sh, stride dh, shifted by top.
  const rows = planAxis(h, oh, sh, dh, top, kh);
  const cols = planAxis(w, ow, sw, dw, left, kw);
  return withKernelScope(backend as tf.KernelBackend, (s) => {
    const xT = s.transpose(x, [3, 1, 2, 0]);
    const dyT = s.transpose(dy, [1, 2, 0, 3]);
    const out = s.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad: explicitPad(rows, cols),
        dataFormat: 'NHWC',
      },
    );
    const cropped = s.slice(out, [0, rows.crop, cols.crop, 0], [ci, kh, kw, co]);
    return s.transpose(cropped, [1, 2, 0, 3]);
  });
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
