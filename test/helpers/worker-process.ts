/** A worker in a process of its own, as on another machine, on the service's queue and database. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * `detached`: a process group of its own, to signal it (and its training children) as a terminal's
 * Ctrl-C or a machine's death does. `env` adds or overrides variables.
 */
export function workerProcess(config: Config, opts: { detached?: boolean; env?: Record<string, string> } = {}): ChildProcess {
  const c = config;
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: c.DATABASE_URL,
      REDIS_URL: c.REDIS_URL,
      QUEUE_NAME: c.QUEUE_NAME,
      TFJS_BACKEND: c.TFJS_BACKEND,
      JOB_LOCK_MS: String(c.JOB_LOCK_MS),
      STALLED_INTERVAL_MS: String(c.STALLED_INTERVAL_MS),
      MAX_STALLED_COUNT: String(c.MAX_STALLED_COUNT),
      CHECKPOINT_INTERVAL_S: String(c.CHECKPOINT_INTERVAL_S),
      RECONCILE_INTERVAL_MS: String(c.RECONCILE_INTERVAL_MS),
      JOB_ATTEMPTS: String(c.JOB_ATTEMPTS),
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: opts.detached ?? false,
  });
  spawned.add(proc);
  proc.once('exit', () => spawned.delete(proc));
  return proc;
}

/**
 * Workers still alive when the test file ends (a test failed before it stopped its own) are
 * killed with their training children: one left running would hold the test runner's output
 * pipe open, and the whole run would wait for it forever.
 */
const spawned = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of spawned) {
    try {
      process.kill(-proc.pid!, 'SIGKILL'); // its process group, where it leads one
    } catch {
      proc.kill('SIGKILL');
    }
  }
});

/** Kills a detached worker and every process of its group (its training children) at once. */
export function killGroup(proc: ChildProcess): void {
  process.kill(-proc.pid!, 'SIGKILL');
}
