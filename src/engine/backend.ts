/**
 * Picks the fastest TensorFlow.js backend that loads on this machine:
 * tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) → tensorflow (@tensorflow/tfjs-node, native
 * CPU) → wasm (@tensorflow/tfjs-backend-wasm, ships its .wasm) → cpu (plain JS, always there).
 * The native packages are optional dependencies: their install downloads libtensorflow, which
 * fails without internet, so they are loaded dynamically and a failure means "try the next".
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  backend: BackendName;
  error: string;
}

async function tryBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      // Registers the 'tensorflow' backend, bound to CUDA, in the shared tfjs-core.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc must not resolve an optional package
      await import('@tensorflow/tfjs-node-gpu' as string);
      break;
    case 'tensorflow':
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc must not resolve an optional package
      await import('@tensorflow/tfjs-node' as string);
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      // tfjs 4.22's wasm backend lacks the conv filter / depthwise gradients: CNNs need them.
      (await import('./wasm-kernels/index.ts')).registerMissingWasmKernels();
      (await import('./wasm-kernels/index.ts')).registerFasterWasmKernels(); // and its slow MaxPoolGrad / Conv2DBackpropInput
      break;
    case 'cpu':
      break;
  }
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') returned false`);
  await tf.ready();
}

/**
 * Sets the backend: `choice` forces one (and fails if it does not load), `auto` takes the first
 * that loads. Returns its name and why the ones before it were skipped.
 */
export async function initBackend(choice: BackendName | 'auto'): Promise<{ backend: BackendName; skipped: BackendAttempt[] }> {
  const candidates = choice === 'auto' ? BACKEND_ORDER : [choice];
  const skipped: BackendAttempt[] = [];
  for (const backend of candidates) {
    try {
      await tryBackend(backend);
      return { backend, skipped };
    } catch (err) {
      skipped.push({ backend, error: (err as Error).message.split('\n')[0] });
    }
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.error}`).join('; ');
  throw new Error(`TensorFlow.js backend ${choice} could not be loaded (${reasons})`);
}
