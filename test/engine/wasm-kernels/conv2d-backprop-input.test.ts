/**
 * The faster wasm Conv2DBackpropInput (conv2d-backprop-input.ts: zero-stuffed dy, one stride-1
 * XNNPACK conv) equals the cpu backend's on random shapes; NCHW and dilations > 1 go to wasm's
 * original kernel; nothing is left behind.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { originalWasmKernel } from '../../../src/engine/wasm-kernels/faster.ts';
import { describeCase, randomCases, type ConvCase } from './cases.ts';
import { assertClose, liveCounts, loadBackends, on, seededValues, sizeOf, type Shape4 } from './helpers.ts';

/** Conv2DBackpropInput on the backend in use, through the engine or straight through `kernel`. */
function backpropInput(c: ConvCase, extra: tf.NamedAttrMap = {}, kernel?: tf.KernelFunc): Float32Array {
  const nchw = extra.dataFormat === 'NCHW';
  const [b, h, w, ci] = c.x;
  const inputShape: Shape4 = nchw ? [b, ci, h, w] : c.x;
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  const [, oh, ow, co] = info.outShape;
  const dyShape = nchw ? [b, co, oh, ow] : info.outShape;
  const attrs: tf.NamedAttrMap = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape, ...extra };
  return tf.tidy(() => {
    const inputs = {
      dy: tf.tensor(seededValues(sizeOf(dyShape), c.seed), dyShape),
      filter: tf.tensor4d(seededValues(sizeOf(c.filter), c.seed + 1), c.filter),
    };
    const dx =
      kernel === undefined
        ? tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', inputs, attrs)
        : tf.engine().makeTensorFromTensorInfo(kernel({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo);
    assert.deepEqual(dx.shape, inputShape, describeCase(c));
    return dx.dataSync() as Float32Array;
  });
}

describe('faster wasm Conv2DBackpropInput against the cpu backend', () => {
  before(loadBackends);

  it('matches cpu to 1e-4 on 64 random cases (strides 1–3, kernels 1–4, valid/same/numeric/explicit pads)', async () => {
    for (const c of randomCases(64, 21, false)) {
      const expected = await on('cpu', () => backpropInput(c));
      assertClose(await on('wasm', () => backpropInput(c)), expected, describeCase(c));
    }
  });

  it("dataFormat 'NCHW' goes to wasm's original kernel, and matches cpu", async () => {
    for (const c of randomCases(8, 22, false).filter((k) => typeof k.pad === 'string')) {
      const nchw = { dataFormat: 'NCHW' };
      const actual = await on('wasm', () => backpropInput(c, nchw));
      assert.deepEqual(actual, await on('wasm', () => backpropInput(c, nchw, originalWasmKernel('Conv2DBackpropInput'))));
      assertClose(actual, await on('cpu', () => backpropInput(c, nchw)), describeCase(c));
    }
  });

  it("dilations > 1 go to wasm's original kernel", async () => {
    for (const c of randomCases(4, 23, false)) {
      const dilated = { dilations: [2, 1] };
      const actual = await on('wasm', () => backpropInput(c, dilated));
      assert.deepEqual(actual, await on('wasm', () => backpropInput(c, dilated, originalWasmKernel('Conv2DBackpropInput'))));
    }
  });

  it('leaves no tensor and no backend buffer behind after 100 more calls', async () => {
    const cases = randomCases(10, 24, false);
    await on('wasm', () => {
      for (const c of cases) backpropInput(c);
    });
    const baseline = liveCounts();
    await on('wasm', () => {
      for (let i = 0; i < 10; i++) for (const c of cases) backpropInput(c);
    });
    assert.deepEqual(liveCounts(), baseline);
  });
});
