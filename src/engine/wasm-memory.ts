/**
 * A ceiling on the wasm backend's memory, so one job cannot take the machine.
 *
 * tfjs-backend-wasm 4.22 is an Emscripten build whose module creates its own WebAssembly.Memory
 * (exported, 16 MiB at start, growable to 4 GiB) and offers no option to bound it. Two hooks do:
 * - the memory object's `grow`, which Emscripten's heap resize calls inside a try/catch: refusing
 *   there makes the allocator's `malloc` return 0 instead of growing past the ceiling;
 * - the module's `_malloc`, through which tfjs allocates every tensor: a 0 from it would otherwise
 *   be used as an address (tensor data written over the start of the heap), so it becomes a
 *   WasmMemoryLimitError here.
 * Allocations made inside the C++ kernels (XNNPACK's scratch) get the 0 too and may fail in their
 * own way ("memory access out of bounds"); `exceeded` tells the caller the ceiling was reached, so
 * such a failure is still reported as running out of memory, and the process is retired.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of the Emscripten module we hook (not in tfjs-backend-wasm's typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface EmscriptenModule {
  _malloc: (bytes: number) => number;
  asm: { memory: WasmMemory; malloc: (bytes: number) => number };
}

const WASM_PAGE = 65536;

/** A tensor allocation that would take the wasm memory past its ceiling. */
export class WasmMemoryLimitError extends Error {
  override readonly name = 'WasmMemoryLimitError';
  constructor(
    readonly requested: number,
    readonly limit: number,
  ) {
    super(`an allocation of ${requested} bytes would take the wasm memory past its limit of ${limit} bytes`);
  }
}

export interface WasmMemoryLimit {
  readonly limit: number;
  /** True once an allocation was refused: the job ran out of memory, whatever error followed. */
  readonly exceeded: boolean;
  /** Bytes of wasm memory now (it never shrinks: the largest it has been). */
  readonly size: number;
}

/** Bounds the current backend's wasm memory to `limitBytes`; undefined when the backend is not wasm. */
export function limitWasmMemory(limitBytes: number): WasmMemoryLimit | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = (tf.backend() as { wasm?: Partial<EmscriptenModule> }).wasm;
  const memory = module?.asm?.memory;
  const malloc = module?.asm?.malloc;
  // A later tfjs may lay its module out otherwise: better to refuse to start than run unbounded.
  if (!module || typeof memory?.grow !== 'function' || typeof malloc !== 'function') {
    throw new Error('cannot bound the wasm memory: @tensorflow/tfjs-backend-wasm no longer exposes its memory and malloc as 4.22 does');
  }
  const state = {
    limit: limitBytes,
    exceeded: false,
    get size() {
      return memory.buffer.byteLength;
    },
  };
  const grow = memory.grow.bind(memory);
  memory.grow = (pages: number) => {
    if (memory.buffer.byteLength + pages * WASM_PAGE > limitBytes) {
      state.exceeded = true;
      throw new RangeError('wasm memory limit reached');
    }
    return grow(pages);
  };
  // The module's own `_malloc` replaces itself with asm.malloc on first call: wrap asm.malloc.
  module._malloc = (bytes: number) => {
    const address = malloc(bytes);
    if (address === 0 && bytes > 0) {
      state.exceeded = true;
      throw new WasmMemoryLimitError(bytes, limitBytes);
    }
    return address;
  };
  return state;
}
