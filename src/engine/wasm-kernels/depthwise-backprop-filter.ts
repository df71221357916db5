/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, as one depthwise convolution (XNNPACK) whose
 * channels are the (channel, batch) pairs, then a sum over the batch.
 *
 * Forward, M = channel multiplier:
 *   y[b,oh,ow,c·M+m] = Σ_{kh,kw} x[b, oh·sh + kh·dh − top, ow·sw + kw·dw − left, c] · w[kh,kw,c,m]
 * so
 *   dW[kh,kw,c,m] = Σ_b Σ_{oh,ow} x[b, kh·dh + oh·sh − top, kw·dw + ow·sw − left, c] · dy[b,oh,ow,c·M+m].
 * With xT[0,h,w,c·B+b] = x[b,h,w,c] and the filter dyT[oh,ow,c·B+b,m] = dy[b,oh,ow,c·M+m], the
 * depthwise conv with strides (dh,dw) and dilations (sh,sw) gives
 *   out[0,kh,kw,(c·B+b)·M+m] = Σ_{oh,ow} xT[0, kh·dh + oh·sh − top, …, c·B+b] · dyT[oh,ow,c·B+b,m]
 * and dW = Σ_b out viewed as [KH,KW,C,B,M].
 */
import * as tf from '@tensorflow/tfjs';
import { explicitPad, forwardGeometry, planAxis } from './geometry.ts';
import { input, withKernelScope } from './kernel-scope.ts';

function depthwiseBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = input(inputs, 'x', tf.DepthwiseConv2dNativeBackpropFilter);
  const dy = input(inputs, 'dy', tf.DepthwiseConv2dNativeBackpropFilter);
  const forward = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const [kh, kw, c, m] = forward.filterShape;
  const {
    strides: [sh, sw],
    dilations: [dh, dw],
    top,
    left,
  } = forwardGeometry(x.shape, forward.filterShape, forward, true);
  const [b, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const rows = planAxis(h, oh, sh, dh, top, kh);
  const cols = planAxis(w, ow, sw, dw, left, kw);
  return withKernelScope(backend as tf.KernelBackend, (s) => {
    // [B,H·W,C] → [H·W,C,B] → [1,H,W,C·B]
    const xT = s.reshape(s.transpose(s.reshape(x, [b, h * w, c]), [1, 2, 0]), [1, h, w, c * b]);
    // [B,OH·OW,C,M] → [OH·OW,C,B,M] → [OH,OW,C·B,M]
    const dyT = s.reshape(s.transpose(s.reshape(dy, [b, oh * ow, c, m]), [1, 2, 0, 3]), [oh, ow, c * b, m]);
    const out = s.run(
      'DepthwiseConv2dNative',
      { x: xT, filter: dyT },
      {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad: explicitPad(rows, cols),
        dataFormat: 'NHWC',
      },
    );
    const cropped = s.slice(out, [0, rows.crop, cols.crop, 0], [1, kh, kw, c * b * m]);
    if (b === 1) return s.reshape(cropped, [kh, kw, c, m]);
    return s.reshape(s.sum(s.reshape(cropped, [kh * kw * c, b, m]), [1]), [kh, kw, c, m]);
  });
}

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
