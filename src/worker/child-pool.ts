/**
 * Training child processes, one per concurrent job, each replaced after a number of jobs, or
 * at once after a job that failed for a reason that was not the user's (out of memory, a wasm
 * trap: the process may be broken, and every later job in it would fail the same way).
 * We manage them ourselves rather than through BullMQ's sandboxed processors because a
 * child must be retired *between* jobs (tfjs's memory grows outside its tensor count), and
 * BullMQ's pool offers no hook for that: a child that exits on its own races the pool, which
 * may hand it the next job first.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { defaultNativeThreads } from './concurrency.ts';
import { fileURLToPath } from 'node:url';
import { forkTypeScript, stopChild } from '../child-processes.ts';
import type { BackendChoice } from '../config.ts';
import type { FromChild, ToChild } from '../domain/child-protocol.ts';

const CHILD_ENTRY = fileURLToPath(new URL('../engine/trainer-child.ts', import.meta.url));

export class TrainerChild extends EventEmitter {
  jobsDone = 0;
  backend = 'unknown';
  /** Cores one job here keeps busy, as the child reported (protocol.ts `ready`). */
  threads = 1;
  private exited = false;
  private broken = false;

  constructor(readonly process: ChildProcess) {
    super();
    process.on('message', (m: FromChild) => {
      // Before anyone hears of the failure: the pool must know by the time the job is released.
      if (m.type === 'failed' && m.retire) this.broken = true;
      this.emit('message', m);
    });
    process.on('exit', (code, signal) => {
      this.exited = true;
      this.emit('exit', code, signal);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Alive and not marked broken by a failure that was not the user's: may train another job. */
  get usable(): boolean {
    return this.alive && !this.broken;
  }

  send(message: ToChild): void {
    if (this.alive) this.process.send(message);
  }

  /** Asks the child to leave (closing IPC makes it exit); kills it if it does not within `ms`. */
  stop(ms = 5000): Promise<void> {
    return stopChild(this.process, ms);
  }
}

export interface ChildPoolOptions {
  backend: BackendChoice;
  jobsPerChild: number;
  databaseUrl: string;
  /** V8 heap ceiling of each child in MiB (CHILD_MAX_HEAP_MB); absent = Node's default. */
  maxHeapMb?: number;
  /** Wasm memory ceiling of each child in MiB (CHILD_MAX_WASM_MB); absent = the wasm maximum, 4 GiB. */
  maxWasmMb?: number;
  /** Threads of native TensorFlow in each child (TF_NUM_THREADS); absent = half the cores (concurrency.ts). */
  nativeThreads?: number;
}

export class ChildPool {
  private readonly idle: TrainerChild[] = [];
  private readonly all = new Set<TrainerChild>();

  constructor(private readonly opts: ChildPoolOptions) {}

  /** An idle child, or a new one once it has loaded its TensorFlow.js backend. */
  async acquire(): Promise<TrainerChild> {
    while (this.idle.length > 0) {
      const child = this.idle.pop()!;
      if (child.usable) return child;
      await this.retire(child);
    }
    return this.spawn();
  }

  /** Starts a child ahead of the first job; answers the backend it loaded and the threads it uses. */
  async warmUp(): Promise<{ backend: string; threads: number }> {
    const child = await this.spawn();
    this.idle.push(child);
    return { backend: child.backend, threads: child.threads };
  }

  /** Gives a child back after a job; it is retired when broken or when it has served its share of jobs. */
  async release(child: TrainerChild): Promise<void> {
    child.jobsDone += 1;
    if (!child.alive) return;
    if (!child.usable || child.jobsDone >= this.opts.jobsPerChild) {
      await this.retire(child);
    } else {
      this.idle.push(child);
    }
  }

  private async retire(child: TrainerChild): Promise<void> {
    this.all.delete(child);
    await child.stop();
  }

  /** Stops every child: idle ones now, busy ones when their job has ended (the caller waits). */
  async close(): Promise<void> {
    await Promise.all([...this.all].map((c) => c.stop()));
    this.all.clear();
    this.idle.length = 0;
  }

  private async spawn(): Promise<TrainerChild> {
    const proc = forkTypeScript(CHILD_ENTRY, { maxHeapMb: this.opts.maxHeapMb });
    const child = new TrainerChild(proc);
    this.all.add(child);
    child.on('exit', () => this.all.delete(child));
    const ready = await new Promise<FromChild>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`training process exited while starting (code ${code}, signal ${signal})`)));
      child.once('message', resolve);
      const { backend, databaseUrl, maxWasmMb } = this.opts;
      child.send({
        type: 'init',
        backend,
        databaseUrl,
        maxWasmMb,
        nativeThreads: this.opts.nativeThreads ?? defaultNativeThreads(availableParallelism()),
      });
    });
    if (ready.type !== 'ready') {
      await child.stop();
      throw new Error(ready.type === 'init-failed' ? ready.error : `unexpected message ${ready.type} from a starting training process`);
    }
    child.backend = ready.backend;
    child.threads = ready.threads;
    return child;
  }
}
