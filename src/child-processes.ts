/**
 * Our child processes (training children, the playground): forked to run our TypeScript through
 * tsx's loader like their parent, with IPC that carries typed arrays, and stopped by closing IPC
 * (each child exits when its parent disconnects), SIGKILL when one does not leave in time.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ForkOptions {
  /** V8's old-space ceiling in MiB (--max-old-space-size): past it the child dies, not the machine. */
  maxHeapMb?: number;
}

export function forkTypeScript(entry: string, opts: ForkOptions = {}): ChildProcess {
  const heap = opts.maxHeapMb === undefined ? [] : [`--max-old-space-size=${opts.maxHeapMb}`];
  return fork(entry, [], {
    execArgv: [...heap, '--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Asks the child to leave; kills it if it has not within `ms`. Resolves once it has exited. */
export async function stopChild(proc: ChildProcess, ms = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  if (proc.connected) proc.disconnect();
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}
