/**
 * Which TensorFlow.js backends this machine has, for tests that run once per backend: cpu and
 * wasm always (they ship with the npm packages), `tensorflow` when native TensorFlow loads here
 * (`npm run native` builds it; an install with internet has it). A backend that is absent gives
 * a skip reason, so its suites show as skipped with that reason rather than vanish.
 *
 * The probe loads the backend the way a training child does (src/engine/backend.ts, wherever
 * that finds tfjs-node), in a process of its own: loading tfjs-node registers `tensorflow` and
 * makes it current, which must not happen behind a test's back. Once per test process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type TestBackend = 'cpu' | 'wasm' | 'tensorflow';

export interface BackendHere<B extends TestBackend = TestBackend> {
  backend: B;
  /** Why its suites are skipped here; false when the backend loads. */
  skip: string | false;
}

const BACKEND_MODULE = fileURLToPath(new URL('../../src/engine/backend.ts', import.meta.url));
const NOT_HERE = 'tensorflow: not built here (npm run native)';

let tensorflowProbe: Promise<string | false> | undefined;

/** False when `tensorflow` loads here, else why not. */
function probeTensorflow(): Promise<string | false> {
  const script =
    `const { initBackend } = await import(${JSON.stringify(BACKEND_MODULE)});` +
    `await initBackend('tensorflow').then(() => console.log('loaded'), (e) => console.log(e.message.split('\\n')[0]));`;
  tensorflowProbe ??= new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 60_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } },
      (err, stdout) => {
        const said = stdout.trim();
        resolve(!err && said === 'loaded' ? false : `${NOT_HERE}; ${said.slice(0, 300) || (err?.message ?? '')}`);
      },
    );
  });
  return tensorflowProbe;
}

/** `among`, each with whether it loads here (cpu and wasm always do). */
export async function backendsHere<B extends TestBackend>(among: readonly B[]): Promise<Array<BackendHere<B>>> {
  return Promise.all(among.map(async (backend) => ({ backend, skip: backend === 'tensorflow' ? await probeTensorflow() : false })));
}

/** Backends with the fused kernels (src/engine/optimizers/fused-kernel.ts, dense-step.ts): cpu and wasm only. */
export const hasFusedKernels = (backend: TestBackend): backend is 'cpu' | 'wasm' => backend !== 'tensorflow';
