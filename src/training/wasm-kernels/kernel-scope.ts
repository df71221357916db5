/**
 * Runs the wasm backend's own kernels from inside another kernel's `kernelFunc`, below the
 * engine: no gradient tape, no tensor tracking, just backend `TensorInfo`s. Every intermediate
 * holds wasm heap memory until `backend.disposeData`, so `withKernelScope` releases all of them
 * except the one handed back to the engine (which then owns it). This is how tfjs's own backends
 * compose kernels (e.g. the wasm Reverse kernel calls Reshape and disposes its temporary).
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;

export class KernelScope {
  private readonly temps: Info[] = [];

  constructor(readonly backend: tf.KernelBackend) {}

  /** One kernel the wasm backend has, e.g. 'Conv2D'; its output is released with the scope. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): Info {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (kernel === undefined) throw new Error(`wasm-kernels: the wasm backend has no '${kernelName}' kernel to build on`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`wasm-kernels: '${kernelName}' returned several outputs, one expected`);
    this.temps.push(out);
    return out;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return perm.every((axis, i) => axis === i) ? x : this.run('Transpose', { x }, { perm });
  }

  /** Skipped when it would copy the whole tensor. */
  slice(x: Info, begin: number[], size: number[]): Info {
    const whole = begin.every((b, i) => b === 0 && size[i] === x.shape[i]);
    return whole ? x : this.run('Slice', { x }, { begin, size });
  }

  /** Zero padding; `paddings[i]` = [before, after] on axis i. */
  pad(x: Info, paddings: Array<[number, number]>): Info {
    const none = paddings.every(([before, after]) => before === 0 && after === 0);
    return none ? x : this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  sum(x: Info, axis: number[]): Info {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  reverse(x: Info, dims: number[]): Info {
    return this.run('Reverse', { x }, { dims });
  }

  /** Whether `info` came out of a kernel run in this scope (rather than being one of the inputs). */
  owns(info: Info): boolean {
    return this.temps.includes(info);
  }

  /** Releases every intermediate except `keep` (the kernel's result, owned by the engine next). */
  release(keep?: Info): void {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/**
 * Runs `body` with a fresh scope; the returned TensorInfo survives, every other one is freed. An
 * input handed straight back (every step skipped as a no-op) is copied: the engine must get a
 * buffer of its own.
 */
export function withKernelScope(backend: tf.KernelBackend, body: (scope: KernelScope) => Info): Info {
  const scope = new KernelScope(backend);
  let result: Info | undefined;
  try {
    result = body(scope);
    if (!scope.owns(result)) result = scope.run('Identity', { x: result });
    return result;
  } finally {
    scope.release(result);
  }
}

/** A kernel input by name; tfjs types them as optional. */
export function input(inputs: tf.NamedTensorInfoMap, name: string, kernelName: string): Info {
  const info = inputs[name];
  if (info === undefined) throw new Error(`wasm ${kernelName}: input '${name}' is missing`);
  return info;
}
