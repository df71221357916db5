/**
 * DepthwiseConv2dNativeBackpropInput for wasm: the transposed depthwise convolution, as a
 * stride-1 depthwise convolution (XNNPACK) of the zero-stuffed output gradient with the flipped
 * filter, then a sum over the channel multiplier.
 *
 * Forward, M = channel multiplier:
 *   y[b,oh,ow,c·M+m] = Σ_{kh,kw} x[b, oh·sh + kh·dh − top, ow·sw + kw·dw − left, c] · w[kh,kw,c,m]
 * so
 *   dx[b,h,w,c] = Σ_{m,kh,kw} dy[b,oh,ow,c·M+m] · w[kh,kw,c,m]   over oh·sh + kh·dh − top = h (same for w).
 * Stuff zeros between dy's rows and columns, dyS[b, oh·sh, ow·sw, :] = dy[b,oh,ow,:] (0 elsewhere,
 * OH·sh rows), and flip the filter, wF[kh',kw',c·M+m] = w[KH−1−kh', KW−1−kw', c, m]:
 *   dx[b,h,w,c] = Σ_m Σ_{kh',kw'} dyS[b, h + kh'·dh − ((KH−1)·dh − top), …, c·M+m] · wF[kh',kw',c·M+m],
 * a depthwise conv with stride 1, dilations (dh,dw), multiplier 1 over C·M channels.
 */
import * as tf from '@tensorflow/tfjs';
import { explicitPad, forwardGeometry, planAxis } from './geometry.ts';
import { input, type KernelScope, withKernelScope } from './kernel-scope.ts';

/** dyS: [B,OH,OW,K] → [B,OH·sh,OW·sw,K] with dy at every (sh,sw)-th position, zeros between. */
export function stuffZeros(s: KernelScope, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [b, oh, ow, k] = dy.shape;
  const tall = s.reshape(
    s.pad(s.reshape(dy, [b * oh, 1, ow * k]), [
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]),
    [b * oh * sh * ow, 1, k],
  );
  return s.reshape(
    s.pad(tall, [
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]),
    [b, oh * sh, ow * sw, k],
  );
}

function depthwiseBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const dy = input(inputs, 'dy', tf.DepthwiseConv2dNativeBackpropInput);
  const filter = input(inputs, 'filter', tf.DepthwiseConv2dNativeBackpropInput);
  const forward = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const [kh, kw, c, m] = filter.shape;
  const {
    strides: [sh, sw],
    dilations: [dh, dw],
    top,
    left,
  } = forwardGeometry(forward.inputShape, filter.shape, forward, true);
  const [b, h, w] = forward.inputShape;
  const [, oh, ow] = dy.shape;
  const rows = planAxis(oh * sh, kh, dh, 1, (kh - 1) * dh - top, h);
  const cols = planAxis(ow * sw, kw, dw, 1, (kw - 1) * dw - left, w);
  return withKernelScope(backend as tf.KernelBackend, (s) => {
    const dyS = stuffZeros(s, dy, sh, sw);
    const flipped = s.reshape(s.reverse(filter, [0, 1]), [kh, kw, c * m, 1]);
    const out = s.run(
      'DepthwiseConv2dNative',
      { x: dyS, filter: flipped },
      {
        strides: [1, 1],
        dilations: [dh, dw],
        pad: explicitPad(rows, cols),
        dataFormat: 'NHWC',
      },
    );
    // Σ_m before the crop: wasm's Slice copies row by row in JS, so it should see the smaller tensor.
    const [, outH, outW] = out.shape;
    const summed = m === 1 ? out : s.reshape(s.sum(s.reshape(out, [b * outH * outW * c, m]), [1]), [b, outH, outW, c]);
    return s.slice(summed, [0, rows.crop, cols.crop, 0], [b, h, w, c]);
  });
}

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};
