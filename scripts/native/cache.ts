/**
 * The build cache: a finished `.native/` is kept under
 * `${TRAINER_NATIVE_CACHE:-$HOME/.cache/trainer-native}/<key>/`, the key a hash of everything the
 * build depends on, so a second run (another worktree, the next CI run) copies it back in
 * seconds instead of compiling for a minute or more.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TensorflowSource } from './find-tensorflow.ts';

/** Bump when the build's steps or layout change, so older cache entries stop matching. */
export const NATIVE_SCRIPT_VERSION = '1';

export const cacheRoot = (env: NodeJS.ProcessEnv = process.env) =>
  env.TRAINER_NATIVE_CACHE || path.join(env.HOME || os.homedir(), '.cache', 'trainer-native');

/** Files under `dir` (the addon's sources; its build/ output left out), sorted, each with its sha256. */
export function sourceHashes(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const walk = (sub: string): string[] =>
    readdirSync(path.join(dir, sub), { withFileTypes: true })
      .filter((e) => !(sub === '' && e.name === 'build'))
      .flatMap((e) => {
        const rel = path.join(sub, e.name);
        if (e.isDirectory()) return walk(rel);
        return e.isFile() ? [rel] : [];
      });
  return walk('')
    .sort()
    .map(
      (rel) =>
        `${rel}:${createHash('sha256')
          .update(readFileSync(path.join(dir, rel)))
          .digest('hex')}`,
    );
}

/** Size and mtime stand for the TensorFlow input: hashing a 274 MB wheel would take longer than restoring. */
export function sourceFingerprint(source: TensorflowSource): string {
  const file = source.kind === 'wheel' ? source.path : path.join(source.dir, 'libtensorflow_cc.so.2');
  const st = statSync(file);
  return `${source.kind}:${file}:${st.size}:${st.mtimeMs}`;
}

export interface KeyInputs {
  source: TensorflowSource;
  tfjsNode: string;
  /** The compiled-step addon's source folder, when the project has one. */
  addonDir?: string;
  modules?: string;
  napi?: string;
}

export function cacheKey(k: KeyInputs): string {
  const addon = k.addonDir ? sourceHashes(k.addonDir) : [];
  const parts = [
    `script ${NATIVE_SCRIPT_VERSION}`,
    sourceFingerprint(k.source),
    `tfjs-node ${k.tfjsNode}`,
    `modules ${k.modules ?? process.versions.modules} napi ${k.napi ?? process.versions.napi}`,
    ...addon,
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * `cp -al`: hard links, so 1.1 GB costs neither time nor space (a full copy took 15 to 50 s here
 * on a busy disk); `cp -a` when the cache is on another file system. Both keep the relative
 * symlinks of deps/lib and deps/include as links. Sharing inodes is safe because nothing writes
 * into a finished tree: a rebuild deletes `.native/` first and builds into a new one.
 */
function copyTree(from: string, to: string): void {
  try {
    execFileSync('cp', ['-al', from, to], { stdio: 'ignore' });
  } catch {
    rmSync(to, { recursive: true, force: true });
    execFileSync('cp', ['-a', from, to], { stdio: 'inherit' });
  }
}

export function cachedEntry(key: string, root: string = cacheRoot()): string | undefined {
  const dir = path.join(root, key);
  return existsSync(path.join(dir, 'manifest.json')) ? dir : undefined;
}

/** Replaces `nativeDir` with the cached copy. */
export function restore(entry: string, nativeDir: string): void {
  rmSync(nativeDir, { recursive: true, force: true });
  copyTree(entry, nativeDir);
}

/** Stores `nativeDir` as `<root>/<key>`: copied beside it, then renamed, so a half copy never matches. */
export function store(nativeDir: string, key: string, root: string = cacheRoot()): string {
  mkdirSync(root, { recursive: true });
  const dest = path.join(root, key);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  copyTree(nativeDir, tmp);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}
