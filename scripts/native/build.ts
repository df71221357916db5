/**
 * The build steps of `npm run native`, in the order ENVIRONMENT.md found to work: TensorFlow's
 * libraries and headers into `.native/tensorflow`, tfjs-node's package into `.native/tfjs-node`
 * with its own dependencies (all but @tensorflow/tfjs, which must be the project's: one
 * tfjs-core), its addon compiled by npm's node-gyp against those libraries, then the project's
 * compiled-step addon when its sources exist.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { npmPackError, onPath, WHEEL_FRAMEWORK, WHEEL_LIBRARY } from './checks.ts';
import { NativeSetupError } from './errors.ts';

export const TFJS_NODE_VERSION = '4.22.0';

/** Runs a command with its output in `log`; on failure, throws with the log's last lines. */
export function run(cmd: string, args: string[], opts: { cwd: string; log: string; what: string }): void {
  const res = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  writeFileSync(opts.log, `$ ${cmd} ${args.join(' ')}\n${res.stdout ?? ''}\n${res.stderr ?? ''}`);
  if (res.status !== 0) {
    const tail = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${opts.what} failed (exit ${res.status ?? res.signal}); its last lines (whole log: ${opts.log}):\n${tail}`);
  }
}

/** Unzips only the two libraries and include/ (about 12 s of the 274 MB wheel) into `<nativeDir>/tensorflow`. */
export function unpackWheel(wheel: string, nativeDir: string, log: string): void {
  const members = [WHEEL_LIBRARY, WHEEL_FRAMEWORK, 'tensorflow/include/*'];
  if (onPath(['unzip'])) {
    run('unzip', ['-q', '-o', wheel, ...members, '-d', nativeDir], { cwd: nativeDir, log, what: `unzip ${wheel}` });
    return;
  }
  const py = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
wanted = (${JSON.stringify(WHEEL_LIBRARY)}, ${JSON.stringify(WHEEL_FRAMEWORK)})
z.extractall(sys.argv[2], [n for n in z.namelist() if n in wanted or n.startswith("tensorflow/include/")])`;
  run('python3', ['-c', py, wheel, nativeDir], { cwd: nativeDir, log, what: `extracting ${wheel}` });
}

/** An installed TensorFlow is used where it lies: `.native/tensorflow` links to it. */
export function linkInstalled(dir: string, nativeDir: string): void {
  symlinkSync(dir, path.join(nativeDir, 'tensorflow'));
}

/** `npm pack @tensorflow/tfjs-node@VERSION` (its install script never runs), unpacked into `dest`. */
export function fetchTfjsNode(dest: string, version: string = TFJS_NODE_VERSION): void {
  const spec = `@tensorflow/tfjs-node@${version}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trainer-native-pack-'));
  try {
    const res = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' });
    const tgz = path.join(tmp, `tensorflow-tfjs-node-${version}.tgz`);
    if (res.status !== 0 || !existsSync(tgz)) throw npmPackError(spec, `${res.stderr ?? ''}${res.error?.message ?? ''}`);
    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', dest, '--strip-components=1']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Installs tfjs-node's own dependencies beside it, without @tensorflow/tfjs: from
 * `.native/tfjs-node` Node's resolution walks up to `<root>/node_modules` and finds the
 * project's copy, so the backend registers in the same tfjs-core the service uses.
 */
export function installTfjsNodeDeps(pkgDir: string, projectRoot: string, log: string): void {
  const pkgFile = path.join(pkgDir, 'package.json');
  const original = readFileSync(pkgFile, 'utf8');
  const pkg = JSON.parse(original) as { dependencies?: Record<string, string> };
  delete pkg.dependencies?.['@tensorflow/tfjs'];
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  try {
    run('npm', ['install', '--ignore-scripts', '--omit=dev', '--no-save', '--no-audit', '--no-fund', '--no-package-lock'], {
      cwd: pkgDir,
      log,
      what: 'npm install of tfjs-node dependencies',
    });
  } finally {
    writeFileSync(pkgFile, original);
  }
  const core = createRequire(path.join(pkgDir, 'package.json')).resolve('@tensorflow/tfjs-core');
  const expected = path.join(projectRoot, 'node_modules', '@tensorflow', 'tfjs-core');
  if (!realpathSync(core).startsWith(realpathSync(expected))) {
    throw new Error(
      `@tensorflow/tfjs-core resolves to ${core} from ${pkgDir}, not to the project's ${expected}: ` +
        'two tfjs-cores would not share backends (run npm ci in the project first).',
    );
  }
}

/**
 * `deps/include` → the wheel's include/, and `deps/lib/` links named as tfjs-node's addon asks
 * (it links -ltensorflow and finds libtensorflow_cc.so.2 through its rpath $ORIGIN/../../deps/lib).
 * Relative links, so the tree can be copied to and from the cache.
 */
export function layoutDeps(pkgDir: string): void {
  const deps = path.join(pkgDir, 'deps');
  const lib = path.join(deps, 'lib');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  symlinkSync('../../tensorflow/include', path.join(deps, 'include'));
  const cc = '../../../tensorflow/libtensorflow_cc.so.2';
  const fw = '../../../tensorflow/libtensorflow_framework.so.2';
  for (const name of ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow_cc.so.2']) symlinkSync(cc, path.join(lib, name));
  for (const name of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2']) symlinkSync(fw, path.join(lib, name));
}

/** npm's own node-gyp: npm names it to scripts it runs; else look beside the npm on PATH and in the usual places. */
export function findNodeGyp(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.npm_config_node_gyp) candidates.push(env.npm_config_node_gyp);
  const npm = onPath(['npm']);
  if (npm) candidates.push(path.join(path.dirname(realpathSync(npm)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
    candidates.push(path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // npm not runnable: the fixed places below
  }
  for (const base of [
    '/usr/lib/node_modules/npm/node_modules',
    '/usr/share/nodejs',
    '/usr/share/nodejs/npm/node_modules',
    '/usr/local/lib/node_modules/npm/node_modules',
  ]) {
    candidates.push(path.join(base, 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new NativeSetupError(
      `node-gyp was not found (looked at ${candidates.join(', ')}): install npm (it ships node-gyp) or npm install -g node-gyp.`,
    );
  return found;
}

export interface GypContext {
  nodeGyp: string;
  nodedir: string;
  logDir: string;
}

/** Compiles tfjs-node's addon (about a minute) and puts it where node-pre-gyp looks: lib/napi-v8. */
export function buildTfjsBinding(pkgDir: string, ctx: GypContext): void {
  const args = [
    ctx.nodeGyp,
    'rebuild',
    '--jobs=max',
    `--nodedir=${ctx.nodedir}`,
    '--module_name=tfjs_binding',
    '--module_path=./lib/napi-v8',
    '--napi_build_version=8',
  ];
  run(process.execPath, args, { cwd: pkgDir, log: path.join(ctx.logDir, 'tfjs-node-gyp.log'), what: 'node-gyp rebuild of tfjs-node' });
  mkdirSync(path.join(pkgDir, 'lib', 'napi-v8'), { recursive: true });
  copyFileSync(path.join(pkgDir, 'build', 'Release', 'tfjs_binding.node'), path.join(pkgDir, 'lib', 'napi-v8', 'tfjs_binding.node'));
  rmSync(path.join(pkgDir, 'build'), { recursive: true, force: true });
}

/**
 * Compiles the project's compiled-step addon in its folder (node-gyp hands unknown --x=y flags to
 * gyp as variables: its binding.gyp reads tensorflow_include and tensorflow_lib, the latter also
 * its rpath), keeps `.native/trainer_graph.node` and removes the build/ folder from the sources.
 */
export function buildCompiledStep(addonDir: string, nativeDir: string, ctx: GypContext): void {
  const tfDir = path.join(nativeDir, 'tensorflow');
  const args = [
    ctx.nodeGyp,
    'rebuild',
    '--jobs=max',
    `--nodedir=${ctx.nodedir}`,
    `--tensorflow_include=${path.join(tfDir, 'include')}`,
    `--tensorflow_lib=${tfDir}`,
  ];
  try {
    run(process.execPath, args, {
      cwd: addonDir,
      log: path.join(ctx.logDir, 'trainer-graph-gyp.log'),
      what: `node-gyp rebuild of ${addonDir}`,
    });
    copyFileSync(path.join(addonDir, 'build', 'Release', 'trainer_graph.node'), path.join(nativeDir, 'trainer_graph.node'));
  } finally {
    rmSync(path.join(addonDir, 'build'), { recursive: true, force: true });
  }
}
