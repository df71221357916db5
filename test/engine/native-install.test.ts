/**
 * `npm run native` (scripts/native.ts): finding a TensorFlow wheel, the one-sentence errors for
 * what is missing, the cache key and cache copies, and — when this checkout has a `.native/`
 * build — that the service's backend picker loads it. No test compiles anything.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { cacheKey, cachedEntry, restore, store } from '../../scripts/native/cache.ts';
import {
  checkCompiler,
  checkNodeHeaders,
  checkWheelContents,
  checkWheelPlatform,
  listZip,
  npmPackError,
  onPath,
} from '../../scripts/native/checks.ts';
import { NativeSetupError } from '../../scripts/native/errors.ts';
import { findTensorflow, findWheels, parsePipConfig, parseWheelName, type TensorflowSource } from '../../scripts/native/find-tensorflow.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { nativeBuild } from '../../src/engine/native-build.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'native-install-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function folder(name: string, files: string[]): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f), '');
  return dir;
}

const X86 = 'manylinux_2_27_x86_64';
const names = (ws: { path: string }[]) => ws.map((w) => path.basename(w.path));

describe('finding a TensorFlow wheel', () => {
  it('takes the newest version first, and for one version the CPU wheel before the CUDA one', () => {
    const dir = folder('links', [
      `tensorflow_cpu-2.20.0-cp311-cp311-${X86}.whl`,
      `tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`,
      `tensorflow-2.21.0-cp311-cp311-${X86}.whl`,
      `tensorflow_cpu-2.21.0rc1-cp311-cp311-${X86}.whl`,
      'tensorflow-2.22.0-cp311-cp311-macosx_12_0_arm64.whl', // not for this machine: left out
      'torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl',
    ]);
    const { wheels } = findWheels({ findLinks: [dir], indexUrls: [] }, 'x86_64');
    assert.deepEqual(names(wheels), [
      `tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`,
      `tensorflow-2.21.0-cp311-cp311-${X86}.whl`,
      `tensorflow_cpu-2.21.0rc1-cp311-cp311-${X86}.whl`,
      `tensorflow_cpu-2.20.0-cp311-cp311-${X86}.whl`,
    ]);
    assert.deepEqual(
      wheels.map((w) => w.gpu),
      [false, true, false, false],
    );
  });

  it('a `tensorflow-` wheel is a CUDA build on Linux x86_64 only; `tensorflow_cpu-` never is', () => {
    assert.equal(parseWheelName(`tensorflow-2.21.0-cp311-cp311-${X86}.whl`)?.gpu, true);
    assert.equal(parseWheelName('tensorflow-2.21.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl')?.gpu, false);
    assert.equal(parseWheelName(`tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`)?.gpu, false);
    assert.equal(parseWheelName('keras-3.15.1-py3-none-any.whl'), undefined);
  });

  it("reads a file:// index's tensorflow-cpu page, whose links point at ../../files as on this machine", () => {
    const files = folder('pypi/files', [`tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`]);
    const page = path.join(tmp, 'pypi/simple/tensorflow-cpu');
    mkdirSync(page, { recursive: true });
    writeFileSync(path.join(page, 'index.html'), `<a href="../../files/tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl#sha256=ab">x</a>`);
    const index = pathToFileURL(path.join(tmp, 'pypi/simple')).href;
    const config = `global.extra-index-url='${index} https://pypi.org/simple'\n:env:.find-links='/nowhere'`;
    const locations = parsePipConfig(config);
    assert.deepEqual(locations.findLinks, ['/nowhere']);
    const { wheels } = findWheels(locations, 'x86_64');
    assert.deepEqual(
      wheels.map((w) => w.path),
      [path.join(files, `tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`)],
    );
  });

  it('with no wheel anywhere, says where it looked and how to pass one', () => {
    const empty = folder('empty', []);
    assert.throws(
      () => findTensorflow({ pipConfig: `global.find-links='${empty}'`, arch: 'x86_64' }),
      (err: Error) => err instanceof NativeSetupError && err.message.includes(empty) && err.message.includes('--wheel'),
    );
  });
});

describe("npm ci's postinstall (--if-available)", () => {
  const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'native.ts');
  /** The script with no pip configuration at all: no file, no PIP_* variable. */
  const runIfAvailable = (...args: string[]) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_') && k !== 'TENSORFLOW_WHEEL'));
    return spawnSync(process.execPath, ['--import', 'tsx', script, '--if-available', ...args], {
      env: { ...env, PIP_CONFIG_FILE: os.devNull },
      encoding: 'utf8',
    });
  };

  it('with no TensorFlow anywhere, says jobs train on wasm and lets the install go on', () => {
    const run = runIfAvailable();
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /no TensorFlow wheel or install found: jobs train on wasm/);
  });

  it('a build that cannot start says why and still exits 0', () => {
    const run = runIfAvailable('--wheel', path.join(os.tmpdir(), 'no-such-tensorflow.whl'));
    assert.equal(run.status, 0);
    assert.match(run.stderr, /no-such-tensorflow\.whl/);
    assert.match(run.stderr, /jobs will train on wasm until `npm run native` succeeds/);
  });
});

describe('what the build needs, each missing piece named in one sentence', () => {
  it('no C++ compiler on PATH', () => {
    assert.throws(() => checkCompiler(folder('bare-path', [])), /No C\+\+ compiler .* apt-get install g\+\+ make/);
  });

  it('no Node headers under the node dir', () => {
    assert.throws(() => checkNodeHeaders('/nonexistent'), /\/nonexistent\/include\/node\/node_api\.h not found.*libnode-dev.*NODE_DIR/);
  });

  it('a wheel for another system or machine', () => {
    assert.throws(() => checkWheelPlatform('tensorflow-2.21.0-cp311-cp311-macosx_12_0_arm64.whl', 'x86_64'), /not a Linux wheel/);
    assert.throws(
      () => checkWheelPlatform('tensorflow-2.21.0-cp311-cp311-manylinux_2_17_ppc64le.whl', 'ppc64le'),
      /only x86_64 and aarch64/,
    );
    assert.throws(
      () => checkWheelPlatform('tensorflow-2.21.0-cp311-cp311-manylinux_2_17_aarch64.whl', 'x86_64'),
      /is for aarch64 but this machine is x86_64/,
    );
    checkWheelPlatform(`tensorflow_cpu-2.21.0-cp311-cp311-${X86}.whl`, 'x86_64');
  });

  it(
    'a zip without libtensorflow_cc.so.2, then one without the C API header',
    { skip: onPath(['zip']) ? false : 'the zip command is not installed' },
    () => {
      const src = folder('fake-wheel/tensorflow/include/tensorflow/c', ['c_api.h']);
      const root = path.resolve(src, '../../../..');
      writeFileSync(path.join(root, 'tensorflow', 'libtensorflow_framework.so.2'), '');
      const noLib = path.join(tmp, `tensorflow_cpu-9.0.0-cp311-cp311-${X86}.whl`);
      execFileSync('zip', ['-qr', noLib, 'tensorflow'], { cwd: root });
      assert.throws(
        () => checkWheelContents(noLib, listZip(noLib)),
        /lacks tensorflow\/libtensorflow_cc\.so\.2 \(not a TensorFlow 2\.x Linux wheel\?\)/,
      );

      writeFileSync(path.join(root, 'tensorflow', 'libtensorflow_cc.so.2'), '');
      rmSync(path.join(src, 'c_api.h'));
      const noHeader = path.join(tmp, 'no-header.whl');
      execFileSync('zip', ['-qr', noHeader, 'tensorflow'], { cwd: root });
      assert.throws(() => checkWheelContents(noHeader, listZip(noHeader)), /lacks tensorflow\/include\/tensorflow\/c\/c_api\.h/);
    },
  );

  it('npm pack failing names the registry', () => {
    const err = npmPackError('@tensorflow/tfjs-node@4.22.0', 'npm error code ENOTFOUND\nnpm error network request failed');
    assert.match(
      err.message,
      /npm pack @tensorflow\/tfjs-node@4\.22\.0 failed \(npm error code ENOTFOUND\): the npm registry must be reachable/,
    );
  });
});

describe('the cache', () => {
  const wheel = path.join(
    folder('key', ['tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl']),
    'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  );
  const source: TensorflowSource = { kind: 'wheel', path: wheel, version: '2.21.0', gpu: false };

  it('a changed addon source changes the key; its build/ output does not', () => {
    const addon = folder('addon', ['binding.gyp', 'graph.cc']);
    const key = () => cacheKey({ source, tfjsNode: '4.22.0', addonDir: addon });
    const before = key();
    mkdirSync(path.join(addon, 'build'));
    writeFileSync(path.join(addon, 'build', 'out.o'), 'object');
    assert.equal(key(), before);
    writeFileSync(path.join(addon, 'graph.cc'), 'int x;');
    assert.notEqual(key(), before);
    assert.notEqual(cacheKey({ source, tfjsNode: '4.22.0' }), before, 'no addon, another key');
    assert.notEqual(cacheKey({ source, tfjsNode: '4.21.0' }), cacheKey({ source, tfjsNode: '4.22.0' }));
  });

  it('stores and restores a tree with its relative symlinks intact', () => {
    const native = folder('native-a/tensorflow', ['libtensorflow_cc.so.2']);
    const built = path.dirname(native);
    mkdirSync(path.join(built, 'tfjs-node/deps/lib'), { recursive: true });
    symlinkSync('../../../tensorflow/libtensorflow_cc.so.2', path.join(built, 'tfjs-node/deps/lib/libtensorflow.so'));
    writeFileSync(path.join(built, 'manifest.json'), '{}');
    const root = path.join(tmp, 'cache');
    store(built, 'k1', root);
    assert.equal(cachedEntry('k1', root), path.join(root, 'k1'));
    assert.equal(cachedEntry('k2', root), undefined);
    const into = path.join(tmp, 'native-b');
    restore(path.join(root, 'k1'), into);
    const link = path.join(into, 'tfjs-node/deps/lib/libtensorflow.so');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), '../../../tensorflow/libtensorflow_cc.so.2');
    assert.ok(existsSync(link), 'the link resolves inside the restored tree');
  });
});

describe(
  'the service loads the local build',
  { skip: nativeBuild() ? false : 'no .native/manifest.json here (npm run native builds it)' },
  () => {
    it("initBackend('tensorflow') gets TensorFlow, and [[1,2],[3,4]]×[[5,6],[7,8]] = [[19,22],[43,50]] (by hand)", async () => {
      const { backend } = await initBackend('tensorflow');
      assert.equal(backend, 'tensorflow');
      assert.equal(tf.getBackend(), 'tensorflow');
      const before = tf.memory().numTensors;
      const product = tf.tidy(() =>
        tf.matMul(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.tensor2d([
            [5, 6],
            [7, 8],
          ]),
        ),
      );
      assert.deepEqual(Array.from(await product.data()), [19, 22, 43, 50]);
      product.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  },
);
