/**
 * How many jobs a worker trains at once when WORKER_CONCURRENCY is not set:
 * - wasm and cpu: one per core. Each child trains on one thread (tfjs turns wasm's threads off
 *   under Node), so a machine's cores are used by as many children.
 * - tensorflow (tfjs-node): cores ÷ the threads each child's TensorFlow uses (TF_NUM_THREADS,
 *   default half the cores: defaultNativeThreads), rounded down, at least 1. Native TensorFlow
 *   spreads each op over its own thread pool (oneDNN/Eigen); children beyond cores ÷ threads
 *   would only fight over the same cores.
 * - tensorflow-gpu: one per GPU (tfjs-node-gpu takes a whole GPU's memory per process).
 * And never more children than the machine's memory holds at their ceilings
 * (CHILD_MAX_HEAP_MB + CHILD_MAX_WASM_MB each, after a reserve for the worker itself).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  gpus: number;
  totalMemoryBytes: number;
}

export interface ConcurrencyChoice {
  concurrency: number;
  /** Why, for the start-up log line. */
  reason: string;
}

/**
 * Native TensorFlow's threads per training process when TF_NUM_THREADS is not set: half the
 * cores, at least one, so a worker trains two jobs at once, each spread over half the machine.
 * Measured on 2 cores (npm run bench, the MNIST MLP, submit → succeeded): 1 thread a job ran
 * 26,700 samples/s against 16,900 with 2, because the step's ~150 small ops pay for every
 * hand-over between threads, and the service's own processes (API, worker, PostgreSQL) need a
 * core too; the CNN, whose convolutions split well, ran 4,500 against 5,500. Two jobs at once
 * also keep both halves busy when a job waits on its queue or its database.
 */
export function defaultNativeThreads(cores: number): number {
  return Math.max(1, Math.ceil(cores / 2));
}

/** Memory kept for the worker process, the API when both run here, and the system. */
export const RESERVED_MEMORY_BYTES = 1024 * 2 ** 20;
/** BullMQ and config accept at most this many. */
const MAX_CONCURRENCY = 64;

export function chooseConcurrency(
  explicit: number | undefined,
  backend: string,
  machine: Machine,
  /** `threads`: cores one child keeps busy on tensorflow (its `ready` message); absent = every core. */
  child: { maxHeapMb: number; maxWasmMb: number; threads?: number },
): ConcurrencyChoice {
  if (explicit !== undefined) return { concurrency: explicit, reason: 'WORKER_CONCURRENCY is set' };
  const gpu = backend === 'tensorflow-gpu';
  const threads = backend === 'tensorflow' ? Math.max(1, child.threads ?? machine.cores) : 1;
  const byDevices = gpu ? Math.max(1, machine.gpus) : Math.max(1, Math.floor(machine.cores / threads));
  const perChild = (child.maxHeapMb + (backend === 'wasm' ? child.maxWasmMb : 0)) * 2 ** 20;
  const byMemory = Math.max(1, Math.floor((machine.totalMemoryBytes - RESERVED_MEMORY_BYTES) / perChild));
  const concurrency = Math.min(byDevices, byMemory, MAX_CONCURRENCY);
  const devices = gpu
    ? `${machine.gpus} GPU(s)`
    : threads > 1
      ? `${machine.cores} core(s) at ${threads} TensorFlow thread(s) per child`
      : `${machine.cores} core(s)`;
  const memory =
    `${Math.round(machine.totalMemoryBytes / 2 ** 30)} GiB holds ${byMemory} child(ren) at ` + `${Math.round(perChild / 2 ** 20)} MiB each`;
  return { concurrency, reason: `${devices} on ${backend}; ${memory}` };
}

/**
 * GPUs this process may use: CUDA_VISIBLE_DEVICES when set (its comma list; empty = none),
 * else the NVIDIA driver's /proc entries; 1 when neither says (a GPU backend loaded, so one).
 */
export function countGpus(env: Record<string, string | undefined> = process.env): number {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) return visible.split(',').filter((d) => d.trim() !== '' && d.trim() !== '-1').length;
  try {
    return readdirSync('/proc/driver/nvidia/gpus').length || 1;
  } catch {
    return 1;
  }
}

export function thisMachine(backend: string): Machine {
  return { cores: availableParallelism(), gpus: backend === 'tensorflow-gpu' ? countGpus() : 0, totalMemoryBytes: totalmem() };
}
