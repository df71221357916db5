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

/**
 * A value the compiled step keeps on its device until its group is read (compiled/step.ts):
 * the i-th such step of a group is in slot i of the step's loss buffer.
 */
export const ON_DEVICE = 'on-device' as const;

export interface StepTensors<T> {
  /** A tensor to read, a value already read, or one held on the device. */
  loss: tf.Scalar | number | typeof ON_DEVICE;
  /** Correct predictions in the batch, when accuracy is counted. */
  correct?: tf.Scalar | number | typeof ON_DEVICE;
  /** What the caller needs back with the values (step, epoch, batch size…). */
  info: T;
}

export interface StepValues<T> {
  loss: number;
  correct: number;
  info: T;
}

/** Reads the first `count` values held on the device (and empties the buffer). */
export type DeviceBufferReader = (count: number) => { losses: ArrayLike<number>; corrects: ArrayLike<number> };

const tensorsOf = (item: StepTensors<unknown>): tf.Tensor[] =>
  [item.loss, item.correct].filter((v): v is tf.Scalar => v instanceof tf.Tensor);

export class PendingLosses<T> {
  private items: StepTensors<T>[] = [];

  /** Where values held on the device are read from (the compiled step that holds them). */
  readDevice?: DeviceBufferReader;

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
      const onDevice = items.filter((i) => i.loss === ON_DEVICE).length;
      const device = onDevice > 0 && this.readDevice ? this.readDevice(onDevice) : { losses: [], corrects: [] };
      let at = 0;
      let slot = 0;
      return items.map((item) => {
        const deviceSlot = item.loss === ON_DEVICE ? slot++ : -1;
        const value = (v: StepTensors<T>['loss'] | undefined, held: ArrayLike<number>) =>
          v === undefined ? 0 : v === ON_DEVICE ? held[deviceSlot] : typeof v === 'number' ? v : values[at++];
        return { loss: value(item.loss, device.losses), correct: value(item.correct, device.corrects), info: item.info };
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
