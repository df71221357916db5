/**
 * The API's way to compute trajectories without loading TensorFlow.js: one warm child process
 * (child.ts), fed one request at a time over IPC. A request that takes longer than the timeout
 * gets a 503 and its child is killed; a child that dies is replaced (at once when it had been
 * serving, otherwise by the next request), so one bad request never takes the playground down.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTypeScript, stopChild } from '../child-processes.ts';
import { InvalidInputError } from '../errors.ts';
import type { TrajectoryRequest, TrajectoryResult } from './request.ts';
import type { FromPlayground } from './protocol.ts';

const CHILD_ENTRY = fileURLToPath(new URL('../engine/playground-child.ts', import.meta.url));

export interface PlaygroundOptions {
  /** A request taking longer is abandoned with a 503 and its child killed. @defaultValue 30000 */
  timeoutMs?: number;
  /** A child that has not loaded TensorFlow.js by then is killed (tsx and tfjs load in ~1-2 s). @defaultValue 60000 */
  startTimeoutMs?: number;
  /** Requests that may wait for the child; more are refused with a 503 at once. @defaultValue 16 */
  maxQueued?: number;
  log?: { warn(obj: object, msg: string): void };
}

/** The playground cannot answer now: the API turns it into a 503 with this message. */
export class PlaygroundUnavailableError extends Error {
  override readonly name = 'PlaygroundUnavailableError';
  readonly statusCode = 503;
}

interface Child {
  proc: ChildProcess;
  exited: boolean;
}

export class PlaygroundRunner {
  private readonly timeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxQueued: number;
  private current: Child | undefined;
  private starting: Promise<Child> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private nextId = 0;
  private closed = false;

  constructor(private readonly opts: PlaygroundOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.maxQueued = opts.maxQueued ?? 16;
  }

  /** The live child's process id, if there is one (for monitoring and tests). */
  get pid(): number | undefined {
    return this.current && !this.current.exited ? this.current.proc.pid : undefined;
  }

  /** Starts the child ahead of the first request. */
  async start(): Promise<void> {
    await this.ready();
  }

  /** Computes one trajectory in the child; requests run one after another in arrival order. */
  async run(request: TrajectoryRequest): Promise<TrajectoryResult> {
    if (this.closed) throw new PlaygroundUnavailableError('the playground is shutting down');
    if (this.waiting >= this.maxQueued) {
      throw new PlaygroundUnavailableError(`the playground is busy (${this.waiting} requests waiting); try again`);
    }
    this.waiting += 1;
    const turn = this.tail.then(() => this.runNow(request));
    this.tail = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.waiting -= 1;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => undefined);
    if (this.current) await stopChild(this.current.proc);
  }

  private async runNow(request: TrajectoryRequest): Promise<TrajectoryResult> {
    if (this.closed) throw new PlaygroundUnavailableError('the playground is shutting down');
    const child = await this.ready();
    const id = ++this.nextId;
    return new Promise<TrajectoryResult>((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        child.proc.off('message', onMessage);
        child.proc.off('exit', onExit);
        settle();
      };
      const onMessage = (m: FromPlayground) => {
        if (m.type === 'result' && m.id === id) done(() => resolve(m.result));
        if (m.type === 'failed' && m.id === id) {
          done(() => reject(m.field !== undefined ? new InvalidInputError(m.field, m.error) : new Error(`playground: ${m.error}`)));
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        done(() => reject(new PlaygroundUnavailableError(`the playground process exited (code ${code}, signal ${signal}); try again`)));
      };
      const timer = setTimeout(() => {
        done(() => reject(new PlaygroundUnavailableError(`the trajectory took longer than ${this.timeoutMs} ms; try fewer steps`)));
        child.proc.kill('SIGKILL');
      }, this.timeoutMs);
      child.proc.on('message', onMessage);
      child.proc.once('exit', onExit);
      child.proc.send({ type: 'run', id, request }, (err) => {
        if (err) done(() => reject(new PlaygroundUnavailableError(`the playground process is unreachable: ${err.message}`)));
      });
    });
  }

  /** The live child, spawning one when there is none (concurrent callers share one start). */
  private ready(): Promise<Child> {
    if (this.closed) return Promise.reject(new PlaygroundUnavailableError('the playground is shutting down'));
    if (this.current && !this.current.exited) return Promise.resolve(this.current);
    this.starting ??= this.spawn()
      .then((child) => (this.current = child))
      .finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async spawn(): Promise<Child> {
    const proc = forkTypeScript(CHILD_ENTRY);
    const child: Child = { proc, exited: false };
    let started = false;
    proc.once('exit', (code, signal) => {
      child.exited = true;
      if (!started || this.closed) return;
      this.opts.log?.warn({ code, signal }, 'playground process exited; starting another');
      // Warm again for the next request; a failure here is retried by that request.
      this.ready().catch(() => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new PlaygroundUnavailableError(`the playground process did not start within ${this.startTimeoutMs} ms`));
      }, this.startTimeoutMs);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new PlaygroundUnavailableError(`the playground process exited while starting (code ${code}, signal ${signal})`));
      });
      proc.once('message', (m: FromPlayground) => {
        clearTimeout(timer);
        if (m.type === 'ready') return resolve();
        proc.kill('SIGKILL');
        reject(new PlaygroundUnavailableError(`the playground process could not start: ${m.type === 'init-failed' ? m.error : m.type}`));
      });
    });
    started = true;
    return child;
  }
}
