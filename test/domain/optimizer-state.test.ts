/** The stored optimizer state (JSON header + float32 bytes) reads back exactly, and its API JSON is lossless. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOptimizerState, encodeOptimizerState, optimizerStateJson } from '../../src/domain/optimizer-state.ts';
import { OPTIMIZER_STATE_FORMAT, type OptimizerStateData } from '../../src/domain/optimizer-state.ts';

const state: OptimizerStateData = {
  format: OPTIMIZER_STATE_FORMAT,
  optimizer: { name: 'adam', config: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false } },
  iterations: 7,
  slots: [
    {
      weight: 'l0_dense/kernel',
      slot: 'momentum',
      shape: [2, 3],
      dtype: 'float32',
      values: Float32Array.from([0.1, -2.5e-8, 3.4028234663852886e38, 1 / 3, -0, 7]),
    },
    { weight: 'l0_dense/bias', slot: 'momentum', shape: [3], dtype: 'float32', values: Float32Array.from([1e-45, 0.7, -1]) },
  ],
};

describe('optimizer state storage', () => {
  it('round-trips bit for bit through header + bytes', () => {
    const { header, slotData } = encodeOptimizerState(state);
    assert.equal(slotData.byteLength, 9 * 4);
    assert.ok(!JSON.stringify(header).includes('values'), 'the header carries no values');
    const back = decodeOptimizerState(JSON.parse(JSON.stringify(header)), Uint8Array.from(slotData));
    assert.deepEqual(back, state);
  });

  it('reads states stored before the byte column, with values inside the JSON', () => {
    const legacy = JSON.parse(optimizerStateJson(state));
    const expected = structuredClone(state);
    expected.slots[0].values[4] = 0; // JSON has no -0 (see the next test)
    assert.deepEqual(decodeOptimizerState(legacy, null), expected);
  });

  it('refuses bytes that do not match the slots', () => {
    const { header } = encodeOptimizerState(state);
    assert.throws(() => decodeOptimizerState(header, new Uint8Array(8)), /has 2 values, its slots need 9/);
  });

  it('shows values as JSON numbers that read back to the same float32, but for the sign of zero', () => {
    const json = JSON.parse(optimizerStateJson(state));
    const values = Float32Array.from(json.slots[0].values);
    assert.deepEqual([...values.subarray(0, 4), values[5]], [...state.slots[0].values.subarray(0, 4), state.slots[0].values[5]]);
    assert.equal(json.slots[0].values[3], Math.fround(1 / 3));
    assert.ok(Object.is(json.slots[0].values[4], 0), 'JSON writes -0 as 0');
    assert.deepEqual(Float32Array.from(json.slots[1].values), state.slots[1].values);
  });

  it('writes the fields in the documented order, whatever order the stored header has', () => {
    const { header, slotData } = encodeOptimizerState(state);
    const shuffled = Object.fromEntries(Object.entries(header).reverse());
    const json = JSON.parse(optimizerStateJson(decodeOptimizerState(shuffled, slotData)));
    assert.deepEqual(Object.keys(json), ['format', 'optimizer', 'iterations', 'slots']);
    assert.deepEqual(Object.keys(json.slots[0]), ['weight', 'slot', 'shape', 'dtype', 'values']);
  });
});
