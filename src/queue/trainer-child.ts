/**
 * Entry point of a training child process. The worker forks it so that CPU-bound training
 * never starves BullMQ's lock renewal in the worker's event loop, a crash kills only this
 * process, and memory tfjs leaks outside its tensor count goes away when the child is replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.ts';
import { initBackend } from '../training/backend.ts';
import { NonFiniteLossError, train, type Progress, type StepRecord } from '../training/train.ts';
import type { Dataset } from '../training/datasets/types.ts';
import type { JobSpec } from '../training/spec/job.ts';
import { loadUploadedDataset } from './dataset-loader.ts';
import type { FromChild, ToChild } from './protocol.ts';

/** Steps are flushed to the worker this often, or sooner when this many are waiting. */
const STEP_FLUSH_MS = 100;
const STEP_FLUSH_COUNT = 500;

/** Nothing to say once the worker is gone (sending then would throw). */
const send = (message: FromChild) => {
  if (process.connected) process.send?.(message);
};
const stopRequested = new Set<string>();
let databaseUrl = '';

/** Uploaded datasets are read here, from the store, rather than sent by the worker over IPC. */
async function loadData(spec: JobSpec): Promise<Dataset | undefined> {
  if (!('id' in spec.dataset)) return undefined;
  return loadUploadedDataset(databaseUrl, spec.dataset);
}

async function runJob(message: Extract<ToChild, { type: 'train' }>): Promise<void> {
  const { jobId } = message;
  let pending: StepRecord[] = [];
  let lastFlush = performance.now();
  let lastProgress: Progress | null = null;
  const flush = (progress: Progress) => {
    if (pending.length === 0) return;
    send({ type: 'steps', jobId, steps: pending, progress });
    pending = [];
    lastFlush = performance.now();
  };
  try {
    const data = await loadData(message.spec);
    const result = await train(message.spec, message.plan, {
      onStep(record, progress) {
        pending.push(record);
        lastProgress = progress;
        if (pending.length >= STEP_FLUSH_COUNT || performance.now() - lastFlush >= STEP_FLUSH_MS) flush(progress);
      },
      onEpoch(epoch, progress) {
        flush(progress);
        send({ type: 'epoch', jobId, epoch, progress });
      },
      shouldStop: () => stopRequested.has(jobId),
    }, message.start, data);
    if (lastProgress) flush(lastProgress);
    const memory = tf.memory();
    send({ type: 'done', jobId, result, progress: lastProgress, memory: { tensors: memory.numTensors, bytes: memory.numBytes } });
  } catch (err) {
    if (lastProgress) flush(lastProgress);
    // The user's doing (a diverging loss, state that does not fit) reads as it is; anything else
    // names the backend, since that is what a user can change (TFJS_BACKEND, another worker).
    const userError = err instanceof NonFiniteLossError || err instanceof InvalidInputError;
    const message = (err as Error).message;
    const divergedAtStep = err instanceof NonFiniteLossError ? err.step : undefined;
    send({ type: 'failed', jobId, error: userError ? message : `training failed on the ${tf.getBackend()} backend: ${message}`, divergedAtStep });
  } finally {
    stopRequested.delete(jobId);
  }
}

process.on('message', (message: ToChild) => {
  switch (message.type) {
    case 'init':
      databaseUrl = message.databaseUrl;
      initBackend(message.backend === 'auto' ? 'auto' : message.backend).then(
        ({ backend, skipped }) => send({ type: 'ready', backend, skipped }),
        (err: Error) => send({ type: 'init-failed', error: err.message }),
      );
      break;
    case 'train':
      void runJob(message);
      break;
    case 'stop':
      stopRequested.add(message.jobId);
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
