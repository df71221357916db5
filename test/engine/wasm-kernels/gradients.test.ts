/**
 * The gradients of conv2d and depthwiseConv2d on wasm (through our Conv2DBackpropFilter and
 * DepthwiseConv2dNativeBackprop{Filter,Input}) equal the cpu backend's (tfjs's reference loops),
 * for random shapes, strides and paddings, to float32 tolerance.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from '../../../src/engine/wasm-kernels/index.ts';
import { convGrads, describeCase, randomCases } from './cases.ts';
import { assertClose, liveCounts, loadBackends, on } from './helpers.ts';

describe('wasm gradient kernels against the cpu backend', () => {
  before(loadBackends);

  it('registers each missing kernel once, and nothing on a second call', () => {
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      assert.ok(tf.getKernel(name, 'wasm'), name);
    }
    assert.deepEqual(registerMissingWasmKernels(), []);
  });

  for (const depthwise of [false, true]) {
    const op = depthwise ? 'depthwiseConv2d' : 'conv2d';
    it(`${op}: d/dx and d/dw of Σ conv(x,w)·r match cpu on 48 random cases`, async () => {
      for (const c of randomCases(48, depthwise ? 2 : 1, depthwise)) {
        const expected = await on('cpu', () => convGrads(c));
        const actual = await on('wasm', () => convGrads(c));
        assert.deepEqual(actual.outShape, expected.outShape, describeCase(c));
        assertClose(actual.dw, expected.dw, `dw ${describeCase(c)}`);
        assertClose(actual.dx, expected.dx, `dx ${describeCase(c)}`);
      }
    });
  }

  it('leaves no tensor and no backend buffer behind after 50 more gradient computations', async () => {
    const cases = [...randomCases(5, 3, false), ...randomCases(5, 4, true)];
    await on('wasm', () => {
      for (const c of cases) convGrads(c);
    }); // warm-up
    const baseline = liveCounts();
    await on('wasm', () => {
      for (let i = 0; i < 5; i++) for (const c of cases) convGrads(c);
    });
    assert.deepEqual(liveCounts(), baseline);
  });
});
