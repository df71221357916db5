/**
 * Where `npm run native` takes TensorFlow from: a wheel named on the command line or in
 * TENSORFLOW_WHEEL, an installed `tensorflow` package folder, or the newest wheel in the
 * directories pip is configured with (its find-links and file:// index URLs), since these
 * machines keep their wheels there and cannot reach the public index.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeSetupError } from './errors.ts';

export interface WheelInfo {
  path: string;
  /** The distribution as the file names it: `tensorflow_cpu` or `tensorflow`. */
  dist: string;
  version: string;
  /** Platform tags, e.g. `manylinux_2_27_x86_64` (a wheel may carry several, dot-separated). */
  platforms: string[];
  /** A CUDA build: Linux x86_64 `tensorflow-…` wheels are; `tensorflow_cpu-…` and aarch64 ones are not. */
  gpu: boolean;
}

export type TensorflowSource =
  { kind: 'wheel'; path: string; version: string; gpu: boolean } | { kind: 'installed'; dir: string; version: string; gpu: boolean };

/** The wheel's machine as its platform tag says, or undefined for a non-Linux wheel. */
export function wheelLinuxArch(platforms: string[]): string | undefined {
  for (const tag of platforms) {
    const m = /^(?:many|musl)?linux(?:1|2010|2014|_\d+_\d+)?_(\w+)$/.exec(tag);
    if (m) return m[1];
  }
  return undefined;
}

/** Parses `{dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl`; undefined for other names. */
export function parseWheelName(file: string): WheelInfo | undefined {
  const base = path.basename(file);
  if (!base.endsWith('.whl')) return undefined;
  const parts = base.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const dist = parts[0].toLowerCase().replace(/[-.]/g, '_');
  if (dist !== 'tensorflow' && dist !== 'tensorflow_cpu') return undefined;
  const platforms = parts[parts.length - 1].split('.');
  const gpu = dist === 'tensorflow' && wheelLinuxArch(platforms) === 'x86_64';
  return { path: file, dist, version: parts[1], platforms, gpu };
}

/** Orders versions like `2.21.0` and `2.21.0rc1` (a release after its candidates). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(v) ?? [v, '0', v];
    return { nums: m[1].split('.').map(Number), rest: m[2] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.rest === y.rest) return 0;
  if (x.rest === '') return 1;
  if (y.rest === '') return -1;
  return x.rest < y.rest ? -1 : 1;
}

/** pip's configured locations, from `pip config list` lines such as `global.find-links='/opt/wheels'`. */
export function parsePipConfig(text: string): { findLinks: string[]; indexUrls: string[] } {
  const findLinks: string[] = [];
  const indexUrls: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[^=]*\.(find-links|index-url|extra-index-url)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    const values = m[2].split(/\s+/).filter(Boolean);
    (m[1] === 'find-links' ? findLinks : indexUrls).push(...values);
  }
  return { findLinks: [...new Set(findLinks)], indexUrls: [...new Set(indexUrls)] };
}

/** `pip config list`, or '' when pip is not there (then only --wheel and --tensorflow work). */
export function readPipConfig(): string {
  for (const [cmd, args] of [
    ['pip', ['config', 'list']],
    ['python3', ['-m', 'pip', 'config', 'list']],
  ] as const) {
    try {
      return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    } catch {
      // try the next way of asking
    }
  }
  return '';
}

const localPath = (loc: string) => (loc.startsWith('file:') ? fileURLToPath(loc) : /^[a-z]+:\/\//i.test(loc) ? undefined : loc);

/** Wheel files a PEP 503 page links to, resolved against the page's folder. */
function wheelsOnPage(page: string): string[] {
  if (!existsSync(page)) return [];
  const html = readFileSync(page, 'utf8');
  return [...html.matchAll(/href="([^"#]+)(?:#[^"]*)?"/g)]
    .map((m) => decodeURIComponent(m[1]))
    .filter((href) => href.endsWith('.whl'))
    .map((href) => (href.startsWith('file:') ? fileURLToPath(href) : path.resolve(path.dirname(page), href)));
}

/**
 * Every TensorFlow wheel in pip's locations (a find-links folder is listed; a file:// index is
 * read at its `tensorflow-cpu/` and `tensorflow/` pages), newest version first and, for one
 * version, the CPU wheel before the CUDA one (it runs everywhere; pass --wheel for the other).
 * Only wheels for this machine (Linux, its architecture) count. `searched` names each place.
 */
export function findWheels(
  locations: { findLinks: string[]; indexUrls: string[] },
  arch: string,
): { wheels: WheelInfo[]; searched: string[] } {
  const searched: string[] = [];
  const files: string[] = [];
  for (const loc of locations.findLinks) {
    const dir = localPath(loc);
    if (!dir) continue;
    searched.push(dir);
    if (!existsSync(dir)) continue;
    if (statSync(dir).isDirectory()) files.push(...readdirSync(dir).map((f) => path.join(dir, f)));
    else files.push(...wheelsOnPage(dir));
  }
  for (const loc of locations.indexUrls) {
    const root = localPath(loc);
    if (!root || !loc.startsWith('file:')) continue;
    for (const project of ['tensorflow-cpu', 'tensorflow']) {
      const page = path.join(root, project, 'index.html');
      searched.push(page);
      files.push(...wheelsOnPage(page));
    }
  }
  const wheels = [...new Set(files)]
    .map(parseWheelName)
    .filter((w): w is WheelInfo => w !== undefined && existsSync(w.path) && wheelLinuxArch(w.platforms) === arch)
    .sort((a, b) => compareVersions(b.version, a.version) || Number(a.gpu) - Number(b.gpu));
  return { wheels, searched };
}

/** `process.arch` in wheel-tag spelling. */
export const hostWheelArch = (arch: string = process.arch) => ({ x64: 'x86_64', arm64: 'aarch64' })[arch] ?? arch;

/** An installed TensorFlow: the package folder and, beside it, its `*.dist-info` (version, cpu or not). */
export function installedTensorflow(dir: string, arch: string): TensorflowSource {
  const abs = path.resolve(dir);
  if (!existsSync(path.join(abs, 'libtensorflow_cc.so.2'))) {
    throw new NativeSetupError(
      `${abs} holds no libtensorflow_cc.so.2: pass --tensorflow the installed package folder ` +
        "(python3 -c 'import tensorflow, os; print(os.path.dirname(tensorflow.__file__))').",
    );
  }
  const parent = path.dirname(abs);
  const info = readdirSync(parent)
    .map((f) => /^(tensorflow(?:_cpu)?)-([^-]+)\.dist-info$/.exec(f))
    .find((m) => m !== null);
  const version = info?.[2] ?? 'unknown';
  const gpu = info?.[1] === 'tensorflow' && arch === 'x86_64';
  return { kind: 'installed', dir: abs, version, gpu };
}

export interface FindOptions {
  wheel?: string;
  tensorflowDir?: string;
  pipConfig?: string;
  arch?: string;
}

/** Picks the source in the documented order; throws a NativeSetupError naming what was searched. */
export function findTensorflow(opts: FindOptions): TensorflowSource {
  const arch = opts.arch ?? hostWheelArch();
  if (opts.wheel) {
    const file = path.resolve(opts.wheel);
    if (!existsSync(file))
      throw new NativeSetupError(
        `The TensorFlow wheel ${file} does not exist: ` +
          'pass --wheel (or TENSORFLOW_WHEEL) an existing tensorflow_cpu-*.whl or tensorflow-*.whl.',
      );
    const info = parseWheelName(file);
    const gpu = info?.gpu ?? false;
    return { kind: 'wheel', path: file, version: info?.version ?? 'unknown', gpu };
  }
  if (opts.tensorflowDir) return installedTensorflow(opts.tensorflowDir, arch);
  const { wheels, searched } = findWheels(parsePipConfig(opts.pipConfig ?? readPipConfig()), arch);
  const best = wheels[0];
  if (!best) {
    const where = searched.length > 0 ? searched.join(', ') : 'none (pip is not configured with local find-links or file:// indexes)';
    throw new NativeSetupError(
      `No TensorFlow wheel (tensorflow_cpu-*.whl or tensorflow-*.whl for linux ${arch}) was found in pip's directories ` +
        `(searched: ${where}); pass --wheel PATH, TENSORFLOW_WHEEL=PATH or --tensorflow DIR.`,
    );
  }
  return { kind: 'wheel', path: best.path, version: best.version, gpu: best.gpu };
}
