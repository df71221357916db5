/**
 * Losses read back in groups of k steps. Reading a loss (`dataSync`) waits for the device to
 * finish every kernel queued before it: on a GPU that empties its pipeline every step. Holding
 * the loss tensors of k steps and reading them with one `dataSync` of their stack lets the GPU
 * run ahead; the values are then checked in step order, so a non-finite loss still fails the
 * job at the step it first appeared (the updates queued after it are thrown away with the job).
 * On cpu, wasm and tfjs-node's CPU kernels a kernel has finished when it returns: a read costs
 * no stall there, and k = 1 keeps their loop exactly as it was.
 */
import * as tf from '@tensorflow/tfjs';

/** Steps per loss read on each backend. */
export function lossReadInterval(backend: string): number {
  return backend === 'tensorflow-gpu' ? GPU_LOSS_READ_INTERVAL : 1;
}

/**
 * 16 steps: enough for a GPU to overlap a group's kernels with the next one's launch, few enough
 * that step rows still reach the worker in well under its 100 ms flush interval on small models.
 */
export const GPU_LOSS_READ_INTERVAL = 16;

export interface StepTensors<T> {
  /** A tensor to read, or a value already read (the compiled step answers numbers). */
  loss: tf.Scalar | number;
  /** Correct predictions in the batch, when accuracy is counted. */
  correct?: tf.Scalar | number;
  /** What the caller needs back with the values (step, epoch, batch size…). */
  info: T;
}

export interface StepValues<T> {
  loss: number;
  correct: number;
  info: T;
}

const tensorsOf = (item: StepTensors<unknown>): tf.Tensor[] =>
  [item.loss, item.correct].filter((v): v is tf.Scalar => v instanceof tf.Tensor);

export class PendingLosses<T> {
  private items: StepTensors<T>[] = [];

  constructor(readonly interval: number) {}

  /** Takes ownership of the tensors; true when a read is due. */
  push(item: StepTensors<T>): boolean {
    this.items.push(item);
    return this.items.length >= this.interval;
  }

  get size(): number {
    return this.items.length;
  }

  /** Every held step's values in step order, with one read; the tensors are disposed. */
  read(): StepValues<T>[] {
    const items = this.items;
    this.items = [];
    if (items.length === 0) return [];
    const tensors = items.flatMap(tensorsOf);
    try {
      const values = tensors.length === 0 ? new Float32Array(0) : tensors.length === 1 ? tensors[0].dataSync() : readStacked(tensors);
      let at = 0;
      const value = (v: tf.Scalar | number | undefined) => (v === undefined ? 0 : typeof v === 'number' ? v : values[at++]);
      return items.map((item) => {
        const loss = value(item.loss);
        return { loss, correct: value(item.correct), info: item.info };
      });
    } finally {
      tf.dispose(tensors);
    }
  }

  /** Drops what is held (the job ended without needing it). */
  dispose(): void {
    for (const item of this.items) tf.dispose(tensorsOf(item));
    this.items = [];
  }
}

/** One read of several scalars: stacked on the device, then one dataSync. */
function readStacked(tensors: tf.Tensor[]): Float32Array {
  const stacked = tf.stack(tensors);
  try {
    return stacked.dataSync() as Float32Array;
  } finally {
    stacked.dispose();
  }
}
