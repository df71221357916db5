/**
 * How a job that threw in its training child is reported, and whether the child may train again:
 * only the user's own errors keep it; memory running out reads as such, whatever form it took.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import { describeFailure } from '../../src/engine/child-failure.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { NonFiniteLossError } from '../../src/engine/train.ts';
import { WasmMemoryLimitError } from '../../src/engine/wasm-memory.ts';
import { irisJob } from '../helpers/http.ts';

const { spec, plan } = parseJobSpec(irisJob(), { maxEpochs: 100, maxBatchSize: 100, maxParameters: 1e6 }, () => 1);
const job = { spec, plan, backend: 'wasm' };
/** The wasm runtime's own error class (not in the project's TypeScript lib). */
const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly;
const OUT_OF_MEMORY = new RegExp(
  /^training ran out of memory: this job needs more than the memory this machine could give it; /.source +
    /its largest layer output is that of model\.layers\[0\] \(dense, output \[8\] per example\)/.source,
);

describe('a failure in a training child', () => {
  it("keeps the child after the user's own errors, with their message as it is", () => {
    const diverged = new NonFiniteLossError(7, 1, Number.NaN);
    assert.deepEqual(describeFailure(diverged, job), { error: diverged.message, retire: false });
    const state = new InvalidInputError('initFrom.optimizerState', 'does not fit');
    assert.deepEqual(describeFailure(state, job), { error: state.message, retire: false });
  });

  for (const [what, err] of [
    ['a wasm trap "memory access out of bounds"', new RuntimeError('memory access out of bounds')],
    ['an Emscripten abort', new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.')],
    ['V8 failing to allocate an ArrayBuffer', new RangeError('Array buffer allocation failed')],
    ['our own refusal past the wasm ceiling', new WasmMemoryLimitError(1 << 30, 1 << 26)],
  ] as const) {
    it(`retires the child after ${what}, saying memory ran out and what to reduce`, () => {
      const failure = describeFailure(err, job);
      assert.equal(failure.retire, true);
      assert.match(failure.error, OUT_OF_MEMORY);
      assert.match(failure.error, /Reduce training\.batchSize/);
    });
  }

  it('reports any error once the wasm ceiling was reached as running out of memory', () => {
    const memory = { limit: 64 * 2 ** 20, exceeded: true, size: 64 * 2 ** 20 };
    const failure = describeFailure(new TypeError('Cannot read properties of undefined'), { ...job, memory });
    assert.equal(failure.retire, true);
    assert.match(failure.error, /^training ran out of memory: this job needs more than the 64\.0 MiB a training process may use/);
  });

  it('retires the child after an error nobody expected, naming the backend', () => {
    const failure = describeFailure(new Error('kernel exploded'), job);
    assert.deepEqual(failure, { error: 'training failed on the wasm backend: kernel exploded', retire: true });
    assert.equal(describeFailure(new RuntimeError('unreachable'), job).error, 'training failed on the wasm backend: unreachable');
  });
});
