/**
 * The API as `npm run api` starts it, in a process of its own: for tests of what only a real
 * process shows (that it stays alive through a fault, its exit code on SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { testEnv } from './env.ts';
import { freePort } from './servers.ts';
import { until } from './upload-client.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface ApiProcess {
  url: string;
  proc: ChildProcess;
  /** Its exit code and signal, once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Still running? */
  alive(): boolean;
  /** Kills it if it still runs. */
  kill(): Promise<void>;
}

/** Starts `main.ts api` with the test environment and `env` on top, and waits until it answers. */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'api'], {
    env: { ...process.env, ...testEnv({ PORT: String(port), ...env }) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  await until(() => {
    if (!alive()) throw new Error(`the API process exited while starting (${proc.exitCode ?? proc.signalCode})`);
    return fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  }, 'the API process answers');
  return {
    url,
    proc,
    exited,
    alive,
    async kill() {
      if (!alive()) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
