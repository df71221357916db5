/**
 * How many jobs a worker trains at once when WORKER_CONCURRENCY is not set:
 * - wasm and cpu: one per core. Each child trains on one thread (tfjs turns wasm's threads off
 *   under Node), so a machine's cores are used by as many children.
 * - tensorflow (tfjs-node): cores ÷ the threads each child's TensorFlow uses (TF_NUM_THREADS,
 *   default every core), rounded down, at least 1. Native TensorFlow spreads each op over its
 *   own thread pools (oneDNN/Eigen): by default one child already keeps every core busy, and a
 *   second one would only fight it for them.
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
