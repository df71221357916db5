/**
 * Entry point of a training child process. The worker forks it so that CPU-bound training
 * never starves BullMQ's lock renewal in the worker's event loop, a crash kills only this
 * process, and memory tfjs leaks outside its tensor count goes away when the child is replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, useBackend, type BackendName } from './backend.ts';
import { isNativeBackend } from '../domain/training-backend.ts';
import { lossReadInterval } from './loss-reads.ts';
import { NonFiniteLossError, train, type Progress, type StepRecord } from './train.ts';
import { limitWasmMemory, type WasmMemoryLimit } from './wasm-memory.ts';
import type { Dataset } from '../domain/dataset-types.ts';
import type { JobSpec } from '../domain/job.ts';
import { describeFailure } from './child-failure.ts';
import { loadUploadedDataset } from './dataset-loader.ts';
import { builtinDataset } from './dataset-cache.ts';
import type { FromChild, ToChild } from '../domain/child-protocol.ts';
import type { StopReason } from '../domain/stopping.ts';
import { testHoldFromEnv } from './test-hold.ts';

/** Steps are flushed to the worker this often, or sooner when this many are waiting. */
const STEP_FLUSH_MS = 100;
const STEP_FLUSH_COUNT = 500;

/** Nothing to say once the worker is gone (sending then would throw). */
const send = (message: FromChild) => {
  // The callback takes a failed write (EPIPE: the parent died between the check and the write),
  // which would otherwise be an 'error' event that crashes this process; 'disconnect' ends it.
  if (process.connected) process.send?.(message, undefined, undefined, () => {});
};
const stopRequested = new Map<string, StopReason>();
/** Jobs held by their worker (its step buffer is full), each with what releases it. */
const held = new Map<string, { promise: Promise<void>; release: () => void }>();
let databaseUrl = '';
/** The wasm memory's ceiling (CHILD_MAX_WASM_MB), set once wasm is loaded. */
let wasmMemory: WasmMemoryLimit | undefined;
let maxWasmMb: number | undefined;
/** Steps whose losses are read back together: more than one only where a read stalls a device (a GPU). */
let lossReadEvery = 1;
/** TensorFlow's threads on a native backend (TF_NUM_THREADS): tfjs-node's context and the compiled step use them. */
let nativeThreads = 0;
/** Tests only (test-hold.ts): undefined unless TRAINER_TEST_HOLD_DIR is in this process's environment. */
const testHold = testHoldFromEnv();

function hold(jobId: string, on: boolean): void {
  if (on && !held.has(jobId)) {
    let release = () => {};
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    held.set(jobId, { promise, release });
  } else if (!on) {
    held.get(jobId)?.release();
    held.delete(jobId);
  }
}

/** Uploaded datasets are read here, from the store, rather than sent by the worker over IPC; builtin ones come from the cache. */
async function loadData(spec: JobSpec): Promise<Dataset> {
  if (!('id' in spec.dataset)) return builtinDataset(spec);
  return loadUploadedDataset(databaseUrl, spec.dataset);
}

async function runJob(message: Extract<ToChild, { type: 'train' }>): Promise<void> {
  const { jobId } = message;
  let pending: StepRecord[] = [];
  let lastFlush = performance.now();
  let lastProgress: Progress | null = null;
  let lastStep: number | undefined;
  const flush = (progress: Progress) => {
    if (pending.length === 0) return;
    send({ type: 'steps', jobId, steps: pending, progress });
    pending = [];
    lastFlush = performance.now();
  };
  const intervalMs = message.checkpointIntervalS * 1000;
  let lastCheckpoint = performance.now();
  try {
    await useBackend(message.backend as BackendName);
    if (message.backend === 'wasm' && maxWasmMb !== undefined) wasmMemory ??= limitWasmMemory(maxWasmMb * 2 ** 20);
    const data = await loadData(message.spec);
    const result = await train(
      message.spec,
      message.plan,
      {
        onStep(record, progress) {
          pending.push(record);
          lastProgress = progress;
          lastStep = record.step;
          if (pending.length >= STEP_FLUSH_COUNT || performance.now() - lastFlush >= STEP_FLUSH_MS) flush(progress);
        },
        onEpoch(epoch, progress) {
          flush(progress);
          send({ type: 'epoch', jobId, epoch, progress });
        },
        stopRequested() {
          return stopRequested.get(jobId);
        },
        async mayContinue() {
          await held.get(jobId)?.promise;
          await testHold?.wait(jobId, lastStep, {
            stopped: () => stopRequested.has(jobId),
            onHold: () => lastProgress && flush(lastProgress), // the test sees every step before the hold
          });
        },
        checkpointDue: (atEpochEnd) => (intervalMs === 0 ? atEpochEnd : performance.now() - lastCheckpoint >= intervalMs),
        onCheckpoint(checkpoint) {
          if (lastProgress) flush(lastProgress); // the steps it covers go first
          send({ type: 'checkpoint', jobId, checkpoint });
          lastCheckpoint = performance.now();
        },
      },
      message.start,
      data,
      { lossReadInterval: lossReadEvery, threads: nativeThreads },
    );
    if (lastProgress) flush(lastProgress);
    // A kernel whose scratch allocation was refused may have carried on with garbage: no result.
    if (wasmMemory?.exceeded) throw new Error('the wasm memory limit was reached during training');
    const memory = tf.memory();
    send({ type: 'done', jobId, result, progress: lastProgress, memory: { tensors: memory.numTensors, bytes: memory.numBytes } });
  } catch (err) {
    if (lastProgress) flush(lastProgress);
    // The user's doing reads as it is; anything else also retires this process (child-failure.ts).
    const failure = describeFailure(err, { spec: message.spec, plan: message.plan, backend: tf.getBackend(), memory: wasmMemory });
    const divergedAtStep = err instanceof NonFiniteLossError ? err.step : undefined;
    send({ type: 'failed', jobId, error: failure.error, retire: failure.retire, divergedAtStep });
  } finally {
    stopRequested.delete(jobId);
    hold(jobId, false);
  }
}

process.on('message', (message: ToChild) => {
  switch (message.type) {
    case 'init':
      databaseUrl = message.databaseUrl;
      nativeThreads = message.nativeThreads;
      // Read by TensorFlow when tfjs-node creates its context, so before the backend loads. Only
      // native TensorFlow reads them; wasm and cpu run on this process's one JS thread.
      process.env.TF_NUM_INTRAOP_THREADS = String(message.nativeThreads);
      process.env.TF_NUM_INTEROP_THREADS = String(message.nativeThreads);
      initBackend(message.backend === 'auto' ? 'auto' : message.backend)
        .then(({ backend, skipped }) => {
          maxWasmMb = message.maxWasmMb;
          if (maxWasmMb !== undefined) wasmMemory = limitWasmMemory(maxWasmMb * 2 ** 20);
          lossReadEvery = lossReadInterval(backend);
          const threads = isNativeBackend(backend) ? message.nativeThreads : 1;
          send({ type: 'ready', backend, threads, skipped });
        })
        .catch((err: Error) => send({ type: 'init-failed', error: err.message }));
      break;
    case 'train':
      void runJob(message);
      break;
    case 'stop':
      stopRequested.set(message.jobId, message.reason);
      hold(message.jobId, false); // a held job must reach its stop
      break;
    case 'hold':
      hold(message.jobId, message.hold);
      break;
  }
});

// The worker died (even by SIGKILL): nobody is left to report to, so stop training.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal, or a signal to the whole process group, reaches this child too. The
// worker leads shutdown (it stops the job after its step and puts it back in the queue), so the
// child waits for that instead of dying mid-step.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
