/**
 * Picks the fastest TensorFlow.js backend that loads on this machine:
 * tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) → tensorflow (@tensorflow/tfjs-node, native
 * CPU) → wasm (@tensorflow/tfjs-backend-wasm, ships its .wasm) → cpu (plain JS, always there).
 * The native packages are optional dependencies: their install downloads libtensorflow, which
 * fails without internet, so they are loaded dynamically and a failure means "try the next".
 * Without them, the tfjs-node that `npm run native` builds from a TensorFlow wheel into
 * `.native/` stands in (src/engine/native-build.ts).
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { nativeBuild, nativeTfjsNodeEntry } from './native-build.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  backend: BackendName;
  error: string;
}

/**
 * The npm package first (a normal install on a machine with internet); if it is not there, the
 * tfjs-node that `npm run native` built in `.native/` (for the GPU backend only if that build is
 * a CUDA one; a CUDA build serves the CPU backend too, as TensorFlow runs on the CPU without a
 * GPU). Both register 'tensorflow' in the project's tfjs-core.
 */
async function importNative(fromNpm: () => Promise<unknown>, needsGpu: boolean): Promise<void> {
  try {
    await fromNpm();
    return;
  } catch (npmErr) {
    const local = nativeTfjsNodeEntry();
    const manifest = nativeBuild();
    if (!local || !manifest || (needsGpu && !manifest.gpu)) {
      const why = !local || !manifest ? 'and no local build (npm run native)' : 'and the local build in .native is a CPU one';
      throw new Error(`${(npmErr as Error).message.split('\n')[0]}; ${why}`, { cause: npmErr });
    }
    await import(pathToFileURL(local).href);
  }
}

/** The backends this process has loaded (initBackend's choice, then any useBackend added). */
const loaded = new Set<BackendName>();

async function tryBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      // Registers the 'tensorflow' backend, bound to CUDA, in the shared tfjs-core.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc must not resolve an optional package
      await importNative(() => import('@tensorflow/tfjs-node-gpu' as string), true);
      break;
    case 'tensorflow':
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc must not resolve an optional package
      await importNative(() => import('@tensorflow/tfjs-node' as string), false);
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
      loaded.add(backend);
      return { backend, skipped };
    } catch (err) {
      skipped.push({ backend, error: (err as Error).message.split('\n')[0] });
    }
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.error}`).join('; ');
  throw new Error(`TensorFlow.js backend ${choice} could not be loaded (${reasons})`);
}

/**
 * Makes `name` the current backend for the next job, loading it first if this process has not
 * (a process on native TensorFlow also trains the smallest models on wasm:
 * spec/training-backend.ts). tfjs keeps every loaded backend; switching costs nothing.
 */
export async function useBackend(name: BackendName): Promise<void> {
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (tf.getBackend() === tfName) return;
  if (loaded.has(name)) {
    if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') returned false`);
    return;
  }
  await tryBackend(name);
  loaded.add(name);
}
