/**
 * `npm run native`: builds the native TensorFlow backend offline. npm cannot install
 * @tensorflow/tfjs-node here (its install script downloads libtensorflow from Google), so this
 * compiles tfjs-node 4.22 against a TensorFlow wheel on disk into `.native/` (see
 * ENVIRONMENT.md, "Native TensorFlow for tfjs-node, built here"), caches the result, and proves
 * it loads. src/engine/backend.ts falls back to it when the npm package is not installed.
 *
 *   npm run native                       find a wheel in pip's directories, build or restore, verify
 *   npm run native -- --wheel PATH       that wheel (or TENSORFLOW_WHEEL=PATH)
 *   npm run native -- --tensorflow DIR   an installed `tensorflow` package folder
 *   npm run native -- --force            rebuild even when .native or the cache matches
 *   npm run native -- --check            say what it would use and whether .native is current
 *   npm run native -- --if-available     as npm ci's postinstall: build when a TensorFlow is found,
 *                                        else say so; never fails the install (exit 0 either way)
 *
 * Exit codes: 0 done, 1 a problem (one sentence says what is missing and how to get it),
 * 3 (--check only) no TensorFlow wheel or install was found: nothing to build.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { nativeBuild, type NativeManifest, NATIVE_DIR, nativeTfjsNodeEntry } from '../src/engine/native-build.ts';
import {
  buildCompiledStep,
  buildTfjsBinding,
  fetchTfjsNode,
  findNodeGyp,
  installTfjsNodeDeps,
  layoutDeps,
  linkInstalled,
  TFJS_NODE_VERSION,
  unpackWheel,
} from './native/build.ts';
import { cachedEntry, cacheKey, cacheRoot, restore, store } from './native/cache.ts';
import {
  checkCompiler,
  checkMake,
  checkNodeHeaders,
  checkPython,
  checkWheelContents,
  checkWheelPlatform,
  listZip,
} from './native/checks.ts';
import { NativeSetupError } from './native/errors.ts';
import { findTensorflow, hostWheelArch, type TensorflowSource } from './native/find-tensorflow.ts';
import { verify } from './native/verify.ts';

const ROOT = path.dirname(NATIVE_DIR);
const ADDON_DIR = path.join(ROOT, 'src', 'engine', 'compiled', 'addon');
const NO_TENSORFLOW = 3;

const { values: opts } = parseArgs({
  options: {
    wheel: { type: 'string' },
    tensorflow: { type: 'string' },
    nodedir: { type: 'string' },
    force: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    'if-available': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`native: ${line}`);
const describe = (s: TensorflowSource) => `TensorFlow ${s.version} (${s.gpu ? 'CUDA' : 'CPU'}) from ${s.kind === 'wheel' ? s.path : s.dir}`;

/** Node's headers: --nodedir, NODE_DIR, else the prefix this node runs from (/usr on Debian). */
const nodedir = opts.nodedir ?? process.env.NODE_DIR ?? path.dirname(path.dirname(process.execPath));
const addonDir = existsSync(path.join(ADDON_DIR, 'binding.gyp')) ? ADDON_DIR : undefined;

function toolchainProblems(): string[] {
  return [checkCompiler, checkMake, checkPython, () => checkNodeHeaders(nodedir), findNodeGyp].flatMap((check) => {
    try {
      check();
      return [];
    } catch (err) {
      if (err instanceof NativeSetupError) return [err.message];
      throw err;
    }
  });
}

/** Cheap checks of the wheel (its name and its zip directory, well under a second) before anything slow. */
function checkSource(source: TensorflowSource): void {
  if (source.kind !== 'wheel') return;
  checkWheelPlatform(source.path, hostWheelArch());
  checkWheelContents(source.path, listZip(source.path));
}

function build(source: TensorflowSource, key: string): NativeManifest {
  const problems = toolchainProblems();
  if (problems.length > 0) throw new NativeSetupError(problems[0]);
  checkSource(source);
  rmSync(NATIVE_DIR, { recursive: true, force: true });
  const logDir = path.join(NATIVE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const pkgDir = path.join(NATIVE_DIR, 'tfjs-node');

  say(`building from ${describe(source)}`);
  if (source.kind === 'wheel') unpackWheel(source.path, NATIVE_DIR, path.join(logDir, 'unzip.log'));
  else linkInstalled(source.dir, NATIVE_DIR);
  say(`TensorFlow unpacked (${seconds()}); fetching tfjs-node ${TFJS_NODE_VERSION}`);
  fetchTfjsNode(pkgDir);
  installTfjsNodeDeps(pkgDir, ROOT, path.join(logDir, 'npm-install.log'));
  layoutDeps(pkgDir);
  say(`compiling tfjs-node's addon (about a minute; ${seconds()} so far)`);
  const gyp = { nodeGyp: findNodeGyp(), nodedir, logDir };
  buildTfjsBinding(pkgDir, gyp);
  if (addonDir) {
    say(`compiling the compiled-step addon in ${path.relative(ROOT, addonDir)} (${seconds()} so far)`);
    buildCompiledStep(addonDir, NATIVE_DIR, gyp);
  }
  const manifest: NativeManifest = {
    tensorflowVersion: source.version,
    source: source.kind === 'wheel' ? source.path : source.dir,
    gpu: source.gpu,
    backend: source.gpu ? 'tensorflow-gpu' : 'tensorflow',
    tfjsNode: TFJS_NODE_VERSION,
    compiledStep: addonDir !== undefined,
    builtAt: new Date().toISOString(),
    node: process.versions.node,
    napi: process.versions.napi ?? '',
    key,
  };
  writeFileSync(path.join(NATIVE_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function verified(manifest: NativeManifest, how: string): void {
  const entry = nativeTfjsNodeEntry();
  if (!entry) throw new Error(`${NATIVE_DIR} has a manifest but no tfjs-node: run npm run native -- --force`);
  const addon = manifest.compiledStep ? path.join(NATIVE_DIR, 'trainer_graph.node') : undefined;
  const v = verify(entry, addon, ROOT);
  const extra = v.addonExports ? `, trainer_graph.node loads (${v.addonExports.length} exports)` : '';
  say(
    `${how} in ${seconds()}: ${manifest.backend} backend on TensorFlow ${manifest.tensorflowVersion} ` +
      `via tfjs-node ${manifest.tfjsNode}, matMul [${v.matMul.join(', ')}] right${extra}; .native/ (key ${manifest.key.slice(0, 12)})`,
  );
}

function check(source: TensorflowSource, key: string): void {
  say(`would use ${describe(source)} → backend ${source.gpu ? 'tensorflow-gpu' : 'tensorflow'}`);
  say(`compiled-step addon: ${addonDir ? `${addonDir} (built too)` : 'no binding.gyp yet (skipped)'}`);
  const current = nativeBuild()?.key === key;
  const entry = cachedEntry(key);
  say(
    `.native/ is ${current ? 'current' : nativeBuild() ? 'stale' : 'absent'}; ` +
      `cache ${entry ? `has it (${entry})` : `has no entry (${cacheRoot()})`}`,
  );
  checkSource(source);
  const problems = current || entry ? [] : toolchainProblems();
  for (const p of problems) say(`missing: ${p}`);
  if (problems.length > 0) process.exitCode = 1;
}

function main(): void {
  if (opts.help) {
    console.log('usage: npm run native -- [--wheel PATH | --tensorflow DIR] [--nodedir DIR] [--force] [--check]');
    return;
  }
  let source: TensorflowSource;
  try {
    source = findTensorflow({ wheel: opts.wheel ?? process.env.TENSORFLOW_WHEEL, tensorflowDir: opts.tensorflow });
  } catch (err) {
    const searched = err instanceof NativeSetupError && !opts.wheel && !opts.tensorflow && !process.env.TENSORFLOW_WHEEL;
    if (searched && opts['if-available']) {
      say('no TensorFlow wheel or install found: jobs train on wasm (see the README, "Native TensorFlow")');
      return;
    }
    if (opts.check && searched) {
      say(err.message);
      process.exitCode = NO_TENSORFLOW;
      return;
    }
    throw err;
  }
  const key = cacheKey({ source, tfjsNode: TFJS_NODE_VERSION, addonDir });
  if (opts.check) return check(source, key);

  const present = nativeBuild();
  if (!opts.force && present?.key === key) return verified(present, 'already current, verified');
  const entry = opts.force ? undefined : cachedEntry(key);
  if (entry) {
    restore(entry, NATIVE_DIR);
    const restored = nativeBuild();
    if (!restored) throw new Error(`the cache entry ${entry} has no manifest.json`);
    return verified(restored, `restored from ${entry}`);
  }
  const manifest = build(source, key);
  verified(manifest, 'built and verified');
  say(`cached as ${store(NATIVE_DIR, key)} (${seconds()})`);
}

try {
  main();
} catch (err) {
  console.error(`native: ${(err as Error).message}`);
  if (opts['if-available']) console.error('native: jobs will train on wasm until `npm run native` succeeds');
  else process.exitCode = 1;
}
