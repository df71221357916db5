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

  /**
   * Skipped when it would copy the whole tensor. Trailing axes taken whole are folded into the
   * last cut one (an NHWC crop of H and W copies rows of W·C values, not of C): wasm's Slice
   * copies one innermost row at a time in JS.
   */
  slice(x: Info, begin: number[], size: number[]): Info {
    const cut = lastAxis(x.shape, (i) => begin[i] !== 0 || size[i] !== x.shape[i]);
    if (cut < 0) return x;
    const inner = fold(x.shape, cut);
    const out = this.run(
      'Slice',
      { x: this.reshape(x, [...x.shape.slice(0, cut), x.shape[cut] * inner]) },
      {
        begin: [...begin.slice(0, cut), begin[cut] * inner],
        size: [...size.slice(0, cut), size[cut] * inner],
      },
    );
    return this.reshape(out, size);
  }

  /** Constant padding (0 unless given); `paddings[i]` = [before, after] on axis i; trailing axes folded as in slice. */
  pad(x: Info, paddings: Array<[number, number]>, value = 0): Info {
    const cut = lastAxis(x.shape, (i) => paddings[i][0] !== 0 || paddings[i][1] !== 0);
    if (cut < 0) return x;
    const inner = fold(x.shape, cut);
    const [lo, hi] = paddings[cut];
    const out = this.run(
      'PadV2',
      { x: this.reshape(x, [...x.shape.slice(0, cut), x.shape[cut] * inner]) },
      {
        paddings: [...paddings.slice(0, cut), [lo * inner, hi * inner]],
        constantValue: value,
      },
    );
    return this.reshape(
      out,
      x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]),
    );
  }

  sum(x: Info, axis: number[]): Info {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  reverse(x: Info, dims: number[]): Info {
    return this.run('Reverse', { x }, { dims });
  }

  /** A float32 tensor of these values (e.g. a small filter), released with the scope. */
  constant(values: Float32Array, shape: number[]): Info {
    const out: Info = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
    this.temps.push(out);
    return out;
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

/** The last axis i with changed(i), or −1. */
function lastAxis(shape: number[], changed: (i: number) => boolean): number {
  for (let i = shape.length - 1; i >= 0; i--) if (changed(i)) return i;
  return -1;
}

/** Product of the sizes after axis `cut`: a slice / pad that leaves them whole acts on axis `cut`
 * of the shape [..., shape[cut]·inner] exactly as on the original, with offsets scaled by inner. */
function fold(shape: number[], cut: number): number {
  return shape.slice(cut + 1).reduce((a, d) => a * d, 1);
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
