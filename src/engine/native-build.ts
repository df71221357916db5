/**
 * The native TensorFlow backend built on this machine by `npm run native` (scripts/native.ts):
 * tfjs-node 4.22 compiled against a TensorFlow wheel on disk, in `<project root>/.native/`.
 * Its manifest says what was built, so the backend picker, /readyz and the compiled-step
 * addon can ask without loading anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `<project root>/.native/`: git-ignored, written only by scripts/native.ts. */
export const NATIVE_DIR = fileURLToPath(new URL('../../.native', import.meta.url));

/** What `.native/manifest.json` holds. */
export interface NativeManifest {
  /** TensorFlow's version, from the wheel's name or the installed package's metadata. */
  tensorflowVersion: string;
  /** The wheel file or the installed `tensorflow` folder it was built from. */
  source: string;
  /** A CUDA build (a Linux x86_64 `tensorflow-…` wheel, not `tensorflow_cpu-…`). */
  gpu: boolean;
  /** The backend this build serves in `initBackend`. */
  backend: 'tensorflow' | 'tensorflow-gpu';
  tfjsNode: string;
  /** Whether the project's compiled-step addon was built (`.native/trainer_graph.node`). */
  compiledStep: boolean;
  builtAt: string;
  /** The Node.js version and N-API version it was built with. */
  node: string;
  napi: string;
  /** The cache key of the inputs it was built from (scripts/native/cache.ts). */
  key: string;
}

/** The manifest of the local native build, or undefined when there is none (or it is unreadable). */
export function nativeBuild(dir: string = NATIVE_DIR): NativeManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as NativeManifest;
  } catch {
    return undefined;
  }
}

/** The local build's tfjs-node entry file (its package.json `main`), if it is there. */
export function nativeTfjsNodeEntry(dir: string = NATIVE_DIR): string | undefined {
  try {
    const pkgDir = join(dir, 'tfjs-node');
    const { main } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { main?: string };
    const entry = join(pkgDir, main ?? 'index.js');
    return existsSync(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The compiled-step addon's path when it was built, else undefined. */
export function compiledStepAddon(dir: string = NATIVE_DIR): string | undefined {
  const file = join(dir, 'trainer_graph.node');
  return nativeBuild(dir)?.compiledStep && existsSync(file) ? file : undefined;
}
