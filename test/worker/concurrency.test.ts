/**
 * The default number of jobs a worker trains at once: one per core on wasm and cpu, cores ÷
 * threads per child on native TensorFlow (one by default: it uses every core itself), one per
 * GPU, bounded by memory at the children's ceilings; an explicit WORKER_CONCURRENCY wins.
 * Expected values are worked out by hand from the machine described in each case.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseConcurrency, defaultNativeThreads, countGpus } from '../../src/worker/concurrency.ts';

const GiB = 2 ** 30;
const child = { maxHeapMb: 4096, maxWasmMb: 2048 };

describe('worker concurrency default', () => {
  it('is the number of cores on wasm and cpu with memory to spare', () => {
    // 24 GiB - 1 GiB reserve = 23 GiB; wasm child 6 GiB -> 3 fit; 2 cores -> 2
    assert.equal(chooseConcurrency(undefined, 'wasm', { cores: 2, gpus: 0, totalMemoryBytes: 24 * GiB }, child).concurrency, 2);
    assert.equal(chooseConcurrency(undefined, 'cpu', { cores: 2, gpus: 0, totalMemoryBytes: 24 * GiB }, child).concurrency, 2);
    // a thread count reported for wasm changes nothing: it runs on one thread
    assert.equal(
      chooseConcurrency(undefined, 'wasm', { cores: 2, gpus: 0, totalMemoryBytes: 24 * GiB }, { ...child, threads: 2 }).concurrency,
      2,
    );
  });

  it('gives native TensorFlow half the cores per child by default, at least one: two jobs at once', () => {
    assert.deepEqual([1, 2, 3, 4, 16, 33].map(defaultNativeThreads), [1, 1, 2, 2, 8, 17]);
  });

  it('is one per machine on tensorflow, whose child uses every core itself, or cores ÷ its threads', () => {
    const big = { cores: 16, gpus: 0, totalMemoryBytes: 64 * GiB };
    // default: TensorFlow's pool is every core, so a second child would only fight the first
    const byDefault = chooseConcurrency(undefined, 'tensorflow', big, { ...child, threads: 16 });
    assert.equal(byDefault.concurrency, 1);
    assert.match(byDefault.reason, /16 core\(s\) at 16 TensorFlow thread\(s\) per child on tensorflow/);
    assert.equal(chooseConcurrency(undefined, 'tensorflow', big, child).concurrency, 1, 'threads unknown: every core');
    // TF_NUM_THREADS=4: 16 ÷ 4 = 4; =5: 3.2 -> 3; more threads than cores: still 1
    assert.equal(chooseConcurrency(undefined, 'tensorflow', big, { ...child, threads: 4 }).concurrency, 4);
    assert.equal(chooseConcurrency(undefined, 'tensorflow', big, { ...child, threads: 5 }).concurrency, 3);
    assert.equal(chooseConcurrency(undefined, 'tensorflow', big, { ...child, threads: 64 }).concurrency, 1);
    // one thread each: 16 by cores, but no wasm heap: 4 GiB per child, 63 GiB -> 15 by memory
    assert.equal(chooseConcurrency(undefined, 'tensorflow', big, { ...child, threads: 1 }).concurrency, 15);
  });

  it('is bounded by memory: children at their ceilings must fit', () => {
    // 8 GiB - 1 = 7 GiB; 6 GiB per wasm child -> 1, although there are 8 cores
    assert.equal(chooseConcurrency(undefined, 'wasm', { cores: 8, gpus: 0, totalMemoryBytes: 8 * GiB }, child).concurrency, 1);
    // smaller ceilings let more fit: 512 + 512 MiB per child, 7 GiB -> 7
    assert.equal(
      chooseConcurrency(undefined, 'wasm', { cores: 8, gpus: 0, totalMemoryBytes: 8 * GiB }, { maxHeapMb: 512, maxWasmMb: 512 })
        .concurrency,
      7,
    );
    // never below one, even when one child would not fit
    assert.equal(chooseConcurrency(undefined, 'cpu', { cores: 4, gpus: 0, totalMemoryBytes: 2 * GiB }, child).concurrency, 1);
  });

  it('is one per GPU on tensorflow-gpu, whatever the cores', () => {
    assert.equal(chooseConcurrency(undefined, 'tensorflow-gpu', { cores: 32, gpus: 2, totalMemoryBytes: 128 * GiB }, child).concurrency, 2);
    assert.equal(chooseConcurrency(undefined, 'tensorflow-gpu', { cores: 32, gpus: 0, totalMemoryBytes: 128 * GiB }, child).concurrency, 1);
  });

  it('an explicit WORKER_CONCURRENCY wins, and the reason says so', () => {
    const choice = chooseConcurrency(5, 'wasm', { cores: 2, gpus: 0, totalMemoryBytes: 4 * GiB }, child);
    assert.deepEqual(choice, { concurrency: 5, reason: 'WORKER_CONCURRENCY is set' });
  });

  it('counts GPUs from CUDA_VISIBLE_DEVICES when it is set', () => {
    assert.equal(countGpus({ CUDA_VISIBLE_DEVICES: '0,1,3' }), 3);
    assert.equal(countGpus({ CUDA_VISIBLE_DEVICES: '' }), 0);
    assert.equal(countGpus({ CUDA_VISIBLE_DEVICES: '-1' }), 0);
  });
});
