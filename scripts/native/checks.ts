/**
 * One check per thing the native build needs. Each throws a NativeSetupError whose one sentence
 * names what is missing and how to get it, before any slow step runs.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { NativeSetupError } from './errors.ts';
import { parseWheelName, wheelLinuxArch } from './find-tensorflow.ts';

/** The first of `names` that is an executable file on `PATH`, else undefined. */
export function onPath(names: string[], PATH: string = process.env.PATH ?? ''): string | undefined {
  for (const name of names) {
    for (const dir of PATH.split(path.delimiter).filter(Boolean)) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function checkCompiler(PATH?: string): string {
  const found = onPath(['g++', 'c++'], PATH);
  if (!found) throw new NativeSetupError('No C++ compiler (g++ or c++) is on PATH: apt-get install g++ make.');
  return found;
}

export function checkMake(PATH?: string): string {
  const found = onPath(['make'], PATH);
  if (!found) throw new NativeSetupError('make is not on PATH (node-gyp needs it): apt-get install make.');
  return found;
}

export function checkPython(PATH?: string): string {
  const found = onPath(['python3'], PATH);
  if (!found) throw new NativeSetupError('python3 is not on PATH (node-gyp runs gyp with it): apt-get install python3.');
  return found;
}

/** Node's C headers: `<nodedir>/include/node/node_api.h` (Debian's libnode-dev puts them under /usr). */
export function checkNodeHeaders(nodedir: string): string {
  const header = path.join(nodedir, 'include', 'node', 'node_api.h');
  if (!existsSync(header)) {
    throw new NativeSetupError(
      `Node's headers are missing (${header} not found): apt-get install libnode-dev, ` +
        'or set NODE_DIR (or --nodedir) to a folder holding include/node/node_api.h.',
    );
  }
  return header;
}

/** The wheel must be for Linux on x86_64 or aarch64, and for this machine's architecture. */
export function checkWheelPlatform(wheel: string, hostArch: string): void {
  const info = parseWheelName(wheel);
  if (!info) return; // a renamed wheel: its contents are checked next
  const arch = wheelLinuxArch(info.platforms);
  if (!arch)
    throw new NativeSetupError(
      `${path.basename(wheel)} is not a Linux wheel (${info.platforms.join('.')}): use a manylinux x86_64 or aarch64 TensorFlow wheel.`,
    );
  if (arch !== 'x86_64' && arch !== 'aarch64')
    throw new NativeSetupError(`${path.basename(wheel)} is for ${arch}: only x86_64 and aarch64 TensorFlow wheels are supported.`);
  if (arch !== hostArch)
    throw new NativeSetupError(
      `${path.basename(wheel)} is for ${arch} but this machine is ${hostArch}: use a TensorFlow wheel for ${hostArch}.`,
    );
}

export const WHEEL_LIBRARY = 'tensorflow/libtensorflow_cc.so.2';
export const WHEEL_FRAMEWORK = 'tensorflow/libtensorflow_framework.so.2';
export const WHEEL_HEADER = 'tensorflow/include/tensorflow/c/c_api.h';

/** The wheel's entries must hold the library the addon links and the C API header it compiles with. */
export function checkWheelContents(wheel: string, entries: readonly string[]): void {
  const names = new Set(entries);
  for (const needed of [WHEEL_LIBRARY, WHEEL_FRAMEWORK, WHEEL_HEADER]) {
    if (!names.has(needed)) throw new NativeSetupError(`${path.basename(wheel)} lacks ${needed} (not a TensorFlow 2.x Linux wheel?).`);
  }
}

/** A zip's entry names, from `unzip -Z1` or, without unzip, Python's zipfile (python3 is needed anyway). */
export function listZip(file: string, PATH?: string): string[] {
  try {
    const text = onPath(['unzip'], PATH)
      ? execFileSync('unzip', ['-Z1', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
      : execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', file], {
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        });
    return text.split('\n').filter(Boolean);
  } catch {
    throw new NativeSetupError(`${file} could not be read as a zip file (a wheel is one): check the file, or pass another with --wheel.`);
  }
}

/** `npm pack` failed: most likely the registry is out of reach. */
export function npmPackError(spec: string, stderr: string): NativeSetupError {
  const reason =
    stderr
      .split('\n')
      .find((l) => /npm error (code|network|errno)|ENOTFOUND|ETIMEDOUT|ECONNREFUSED|E404/.test(l))
      ?.trim() ??
    stderr.trim().split('\n').at(-1) ??
    '';
  return new NativeSetupError(
    `npm pack ${spec} failed (${reason || 'no output'}): ` +
      "the npm registry must be reachable, or set npm's registry/proxy (npm config) to one that is.",
  );
}
