/**
 * The peers of `npm run bench`: what a user would train the same models with instead, measured
 * in the same run on the same data (exportMnist's file):
 *
 * - PyTorch 2.13 (CPU wheel) and Keras 3 on TensorFlow 2.21, from a Python venv the bench makes
 *   itself, once, from the wheels on this machine's disk (no index is reachable);
 * - Debian's PyTorch 1.13 (`python3-torch`, /usr/bin/python3) when it is installed.
 *
 * A peer that cannot run is a row "skipped: <reason>", never a failed bench.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ModelName } from './specs.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const DEBIAN_PYTHON = '/usr/bin/python3';

/** The versions the venv holds; the wheels on disk (ENVIRONMENT.md, "Python wheels on disk"). */
export const VENV_PACKAGES = { tensorflow: '2.21.0', torch: '2.13.0+cpu' } as const;
const WHEELS = [`tensorflow_cpu==${VENV_PACKAGES.tensorflow}`, `torch==${VENV_PACKAGES.torch}`, 'numpy'];

export const venvDir = () => process.env.TRAINER_BENCH_VENV || join(homedir(), '.cache', 'trainer-bench-venv');

export interface PeerPython {
  python: string;
  versions: Record<string, string>;
}
export type Skipped = { skipped: string };

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
const errorText = (err: unknown) => {
  const e = err as { stderr?: string; message?: string };
  return lastLine(e.stderr || e.message || String(err)).slice(0, 200);
};

/**
 * The wheel directories pip is configured with: its find-links, and for each file:// index
 * (…/simple) the `files` folder beside it, which the index's package pages link to as
 * `../../files/<wheel>`.
 */
export async function wheelDirs(): Promise<string[]> {
  const { stdout } = await run('python3', ['-m', 'pip', 'config', 'list'], { env: { ...process.env, PIP_NO_INPUT: '1' } });
  const dirs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^[^.]*\.([\w-]+)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    const [, key, value] = m;
    for (const item of value.split(/\s+/).filter(Boolean)) {
      if (key === 'find-links') dirs.push(item.startsWith('file://') ? fileURLToPath(item) : item);
      else if ((key === 'index-url' || key === 'extra-index-url') && item.startsWith('file://'))
        dirs.push(resolve(fileURLToPath(item), '..', 'files'));
    }
  }
  return [...new Set(dirs)].filter((d) => existsSync(d));
}

/** The venv's versions, or null when it is missing or lacks one of VENV_PACKAGES at its version. */
async function venvVersions(python: string): Promise<Record<string, string> | null> {
  if (!existsSync(python)) return null;
  const probe =
    'import json, numpy, tensorflow, torch, keras; ' +
    "print(json.dumps({'tensorflow': tensorflow.__version__, 'torch': torch.__version__, " +
    "'keras': keras.__version__, 'numpy': numpy.__version__}))";
  try {
    const { stdout } = await run(python, ['-c', probe], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 120_000 });
    const versions = JSON.parse(lastLine(stdout)) as Record<string, string>;
    const ok = Object.entries(VENV_PACKAGES).every(([name, version]) => versions[name] === version);
    return ok ? versions : null;
  } catch {
    return null;
  }
}

/**
 * The bench's Python with TensorFlow and PyTorch: `${TRAINER_BENCH_VENV:-~/.cache/trainer-bench-venv}`,
 * reused when it already holds both at their versions, else made (about 2 minutes on 2 cores).
 */
export async function peerPython(log: (msg: string) => void): Promise<PeerPython | Skipped> {
  const dir = venvDir();
  const python = join(dir, 'bin', 'python');
  const ready = await venvVersions(python);
  if (ready) return { python, versions: ready };

  let dirs: string[];
  try {
    dirs = await wheelDirs();
  } catch (err) {
    return { skipped: `pip config list failed: ${errorText(err)}` };
  }
  const has = (prefix: string) => dirs.some((d) => readdirSync(d).some((f) => f.startsWith(prefix) && f.endsWith('.whl')));
  const missing = [`tensorflow_cpu-${VENV_PACKAGES.tensorflow}-`, `torch-${VENV_PACKAGES.torch}-`].filter((p) => !has(p));
  if (missing.length > 0)
    return { skipped: `no wheel ${missing.map((p) => `${p}*.whl`).join(', ')} in pip's wheel directories (${dirs.join(', ') || 'none'})` };

  log(`making the peers' Python venv at ${dir} from ${dirs.join(', ')} (about 2 minutes)`);
  try {
    if (!existsSync(python)) await run('python3', ['-m', 'venv', dir]);
    // --no-index: the configured index cannot be reached here, and pip would retry it for minutes.
    const findLinks = dirs.flatMap((d) => ['--find-links', d]);
    await run(python, ['-m', 'pip', 'install', '--quiet', '--no-index', ...findLinks, ...WHEELS], {
      env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      timeout: 20 * 60_000,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    return { skipped: `making the venv at ${dir} failed (remove it to start afresh): ${errorText(err)}` };
  }
  const versions = await venvVersions(python);
  if (!versions)
    return {
      skipped: `the venv at ${dir} was made but does not import tensorflow ${VENV_PACKAGES.tensorflow} and torch ${VENV_PACKAGES.torch}`,
    };
  return { python, versions };
}

/** Debian's PyTorch (python3-torch) when /usr/bin/python3 imports it. */
export async function debianTorch(): Promise<{ python: string; torch: string } | Skipped> {
  if (!existsSync(DEBIAN_PYTHON)) return { skipped: `${DEBIAN_PYTHON} is not installed` };
  try {
    const { stdout } = await run(DEBIAN_PYTHON, ['-c', 'import torch; print(torch.__version__)']);
    return { python: DEBIAN_PYTHON, torch: lastLine(stdout) };
  } catch {
    return { skipped: `${DEBIAN_PYTHON} -c 'import torch' failed (Debian's python3-torch is not installed)` };
  }
}

// ---- the peer scripts ---------------------------------------------------------------------

/** What every peer script prints (one JSON line), with its median rate. */
export interface PeerRun {
  samples: number;
  runSeconds: number[];
  samplesPerSecond: number;
  /** Mean loss of each epoch in the last timed run: it should go down. */
  epochLosses: number[];
  threads: number;
}
export interface TorchRun extends PeerRun {
  torch: string;
  defaultThreads: number;
}
export interface KerasRun extends PeerRun {
  tensorflow: string;
  keras: string;
  jitCompile: boolean;
  interOpThreads: number;
  intraOpThreads: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function peerScript<T extends PeerRun>(python: string, script: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const { stdout } = await run(python, [join('test', 'bench', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 1 << 20,
    timeout: 30 * 60_000,
  });
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`${script} printed no result: ${stdout.slice(-500)}`);
  const result = JSON.parse(line) as T;
  return { ...result, samplesPerSecond: result.samples / median(result.runSeconds) };
}

export function torchBench(python: string, model: ModelName, dataFile: string, threads: number, runs: number): Promise<TorchRun> {
  return peerScript<TorchRun>(python, 'torch_bench.py', [model, dataFile, String(threads), String(runs)]);
}

/** PyTorch with 1 and 2 threads, the better kept: with 2 threads next to a busy process its threads spin. */
export async function torchBest(
  python: string,
  model: ModelName,
  dataFile: string,
  runs: number,
): Promise<{ best: TorchRun; tried: TorchRun[] }> {
  const tried = [await torchBench(python, model, dataFile, 1, runs), await torchBench(python, model, dataFile, 2, runs)];
  return { best: tried.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a)), tried };
}

export function kerasBench(python: string, model: ModelName, dataFile: string, runs: number): Promise<KerasRun> {
  return peerScript<KerasRun>(python, 'keras_bench.py', [model, dataFile, String(runs)], {
    KERAS_BACKEND: 'tensorflow',
    TF_CPP_MIN_LOG_LEVEL: '2',
  });
}

// ---- the peers, one model at a time --------------------------------------------------------

export interface PeerSetup {
  venv: PeerPython | Skipped;
  debian: { python: string; torch: string } | Skipped;
}

/** Once per bench: the venv (made if needed) and Debian's PyTorch, or why each is skipped. */
export async function preparePeers(log: (msg: string) => void): Promise<PeerSetup> {
  return { venv: await peerPython(log), debian: await debianTorch() };
}

/** One peer's figure for one model: its name with version, how it used the cores, its rate. */
export interface PeerFigure {
  peer: string;
  samplesPerSecond: number;
  threads: string;
  runSeconds: number[];
  epochLosses: number[];
  raw: unknown;
}
export type PeerResult = PeerFigure | ({ peer: string } & Skipped);

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function attempt(peer: string, fn: () => Promise<PeerFigure>): Promise<PeerResult> {
  try {
    return await fn();
  } catch (err) {
    return { peer, skipped: `failed: ${errorText(err)}` };
  }
}

async function torchFigure(peer: string, python: string, model: ModelName, dataFile: string, runs: number): Promise<PeerFigure> {
  const { best, tried } = await torchBest(python, model, dataFile, runs);
  return {
    peer,
    samplesPerSecond: best.samplesPerSecond,
    threads:
      `${best.threads} thread(s), the better of ${tried.map((t) => `${t.threads}: ${fmt(t.samplesPerSecond)}/s`).join(', ')}; ` +
      `torch's default ${best.defaultThreads}`,
    runSeconds: best.runSeconds,
    epochLosses: best.epochLosses,
    raw: tried,
  };
}

/** Every peer on one model, in turn (one at a time: each may use both cores). */
export async function measurePeers(setup: PeerSetup, model: ModelName, dataFile: string, runs: number): Promise<PeerResult[]> {
  const out: PeerResult[] = [];
  const { venv, debian } = setup;
  if ('skipped' in venv) {
    out.push({ peer: `PyTorch ${VENV_PACKAGES.torch} (venv)`, skipped: venv.skipped });
    out.push({ peer: `Keras 3 on TensorFlow ${VENV_PACKAGES.tensorflow} (venv)`, skipped: venv.skipped });
  } else {
    out.push(
      await attempt(`PyTorch ${venv.versions.torch}`, () =>
        torchFigure(`PyTorch ${venv.versions.torch}`, venv.python, model, dataFile, runs),
      ),
    );
    const kerasName = `Keras ${venv.versions.keras} on TensorFlow ${venv.versions.tensorflow}, model.fit`;
    out.push(
      await attempt(kerasName, async () => {
        const k = await kerasBench(venv.python, model, dataFile, runs);
        const tfThreads = (n: number) => (n === 0 ? 'default' : String(n));
        return {
          peer: kerasName,
          samplesPerSecond: k.samplesPerSecond,
          threads:
            `TensorFlow's threads: intra-op ${tfThreads(k.intraOpThreads)}, inter-op ${tfThreads(k.interOpThreads)} ` +
            `(${k.threads} cores); XLA ${k.jitCompile ? 'on' : 'off'}`,
          runSeconds: k.runSeconds,
          epochLosses: k.epochLosses,
          raw: k,
        };
      }),
    );
  }
  if ('skipped' in debian) out.push({ peer: "Debian's PyTorch", skipped: debian.skipped });
  else {
    const name = `PyTorch ${debian.torch} (Debian)`;
    out.push(await attempt(name, () => torchFigure(name, debian.python, model, dataFile, runs)));
  }
  return out;
}

/** The fastest peer that ran, if any. */
export function bestPeer(results: PeerResult[]): PeerFigure | undefined {
  const ran = results.filter((r): r is PeerFigure => !('skipped' in r));
  return ran.reduce<PeerFigure | undefined>((a, b) => (!a || b.samplesPerSecond > a.samplesPerSecond ? b : a), undefined);
}
