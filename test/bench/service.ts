/**
 * The service under benchmark: `node --import tsx src/main.ts <all|api>` as its own process (so
 * the bench's own HTTP client and autocannon do not share its event loop), on a database and
 * Redis index of the bench's own (never the user's `trainer` database or Redis index 0).
 * Also: the process tree of a pid and its memory, read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';

export const BENCH_DATABASE = 'trainer_bench';
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? `postgresql://postgres@127.0.0.1:5432/${BENCH_DATABASE}`;
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const ROOT = new URL('../../', import.meta.url);

export interface BenchService {
  url: string;
  proc: ChildProcess;
  queue: string;
  logFile: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the service and waits until it answers /readyz (and, with a worker, lists it). */
export async function startBenchService(opts: {
  mode: 'all' | 'api';
  queue: string;
  logFile: string;
  env?: Record<string, string>;
}): Promise<BenchService> {
  const port = await freePort();
  const out = openSync(opts.logFile, 'a');
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', opts.mode], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: Object.fromEntries(
      Object.entries({
        ...process.env,
        DATABASE_URL: BENCH_DATABASE_URL,
        REDIS_URL: BENCH_REDIS_URL,
        QUEUE_NAME: opts.queue,
        PORT: String(port),
        HOST: '127.0.0.1',
        TFJS_BACKEND: 'auto',
        LOG_LEVEL: 'info',
        // The bench measures the service, not its per-tenant limits.
        RATE_LIMIT_PER_SECOND: '1000000',
        TENANT_MAX_ACTIVE_JOBS: '1000000',
        ...opts.env,
      }).filter(([, value]) => value !== ''),
    ), // '' in opts.env unsets a variable of the bench's own environment
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the service exited at start (code ${proc.exitCode}); see ${opts.logFile}`);
    try {
      const res = await fetch(`${url}/readyz`);
      const body = (await res.json()) as { workers?: unknown[] };
      if (res.status === 200 && (opts.mode === 'api' || (body.workers?.length ?? 0) > 0)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service did not become ready within 90 s; see ${opts.logFile}`);
    }
    await sleep(200);
  }
  return { url, proc, queue: opts.queue, logFile: opts.logFile, stop };
}

async function adminQuery(sql: string): Promise<void> {
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops the bench database (created afresh, and migrated, by the service at its start). */
export async function dropBenchDatabase(): Promise<void> {
  const name = new URL(BENCH_DATABASE_URL).pathname.slice(1);
  if (name === 'trainer' || name === 'postgres') throw new Error(`refusing to drop database ${name}`);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Removes a bench queue and its keys (jobs, worker heartbeats) from the bench's Redis index. */
export async function removeQueue(name: string): Promise<void> {
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  try {
    await queue.obliterate({ force: true });
    const keys = await connection.keys(`${name}:*`);
    if (keys.length > 0) await connection.del(...keys);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** A query on the bench database. */
export async function benchQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every descendant pid of `pid` (children, grandchildren…), from /proc/<pid>/stat. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** VmRSS and VmHWM (peak RSS) of a process in bytes, and its command line; null once it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number; cmd: string } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cmd };
  } catch {
    return null;
  }
}

/** Samples the RSS of a process and of each descendant every `ms`; peaks by pid. */
export function sampleMemory(rootPid: number, ms = 200) {
  const peaks = new Map<number, { rss: number; hwm: number; cmd: string }>();
  const sample = () => {
    for (const pid of [rootPid, ...descendants(rootPid)]) {
      const m = memoryOf(pid);
      if (!m) continue;
      const prev = peaks.get(pid);
      peaks.set(pid, { rss: Math.max(prev?.rss ?? 0, m.rss), hwm: Math.max(prev?.hwm ?? 0, m.hwm), cmd: m.cmd });
    }
  };
  sample();
  const timer = setInterval(sample, ms);
  return {
    peaks,
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** Log lines (pino JSON) of the service that mention a job, with their time. */
export function jobLog(logFile: string, jobId: string): Array<{ time: number; msg: string; [k: string]: unknown }> {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(jobId))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU seconds of the service process, its training children, and every PostgreSQL process. */
export function cpuSnapshot(rootPid: number): { service: number; children: number; postgres: number } {
  const postgres = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .reduce((sum, e) => {
      try {
        return readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'postgres' ? sum + cpuSecondsOf(Number(e)) : sum;
      } catch {
        return sum;
      }
    }, 0);
  return { service: cpuSecondsOf(rootPid), children: descendants(rootPid).reduce((s, p) => s + cpuSecondsOf(p), 0), postgres };
}

/** Share of the machine's CPU time spent busy over `ms`, from /proc/stat (0..1). */
export async function machineBusy(ms = 1000): Promise<number> {
  const read = () => {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = fields.map(Number);
    const idle = n[3] + (n[4] ?? 0);
    return { idle, total: n.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}
