/**
 * The proof that a `.native/` build works: a fresh `node` imports its tfjs-node (as the service
 * does), which must register the `tensorflow` backend in the project's tfjs-core and compute a
 * small matMul right; the compiled-step addon, when built, must load after it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** [[1,2],[3,4]] × [[5,6],[7,8]], worked by hand. */
export const EXPECTED_MATMUL = [19, 22, 43, 50];

export interface Verified {
  backend: string;
  matMul: number[];
  tfjsCore: string;
  addonExports?: string[];
}

export function verify(entry: string, addon: string | undefined, projectRoot: string): Verified {
  const code = `
    import { createRequire } from 'node:module';
    const mod = await import(${JSON.stringify(pathToFileURL(entry).href)});
    const tf = mod.default ?? mod;
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
    const require = createRequire(${JSON.stringify(entry)});
    const addon = ${JSON.stringify(addon ?? null)};
    console.log(JSON.stringify({
      backend: tf.getBackend(),
      matMul: Array.from(product.dataSync()),
      tfjsCore: require.resolve('@tensorflow/tfjs-core'),
      addonExports: addon ? Object.keys(require(addon)) : undefined,
    }));`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const last = (res.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (res.status !== 0 || !last.startsWith('{')) {
    throw new Error(
      `the native build did not load in a fresh node (exit ${res.status ?? res.signal}):\n` +
        (res.stderr ?? '').trim().split('\n').slice(-15).join('\n'),
    );
  }
  const v = JSON.parse(last) as Verified;
  if (v.backend !== 'tensorflow') throw new Error(`the native build loaded but the backend is '${v.backend}', not 'tensorflow'`);
  if (v.matMul.join() !== EXPECTED_MATMUL.join())
    throw new Error(`the native build computed matMul = [${v.matMul.join(', ')}], expected [${EXPECTED_MATMUL.join(', ')}]`);
  const projectCore = path.join(projectRoot, 'node_modules', '@tensorflow', 'tfjs-core');
  if (!v.tfjsCore.startsWith(projectCore))
    throw new Error(`the native build's tfjs-core is ${v.tfjsCore}, not the project's (${projectCore})`);
  return v;
}
