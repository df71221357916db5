/**
 * Messages between a worker and its training child process (IPC, advanced serialization). Here,
 * in the domain, because both sides speak it: worker/ sends ToChild, engine/trainer-child.ts FromChild.
 */
import type { BackendChoice } from '../config.ts';
import type { JobPlan, JobSpec } from './job.ts';
import type { Checkpoint, EpochRecord, Progress, StartingPoint, StepRecord, TrainResult } from './records.ts';
import type { StopReason } from './stopping.ts';

export type ToChild =
  /**
   * `databaseUrl`: where the child reads uploaded datasets (they are too large to send over IPC).
   * `maxWasmMb`: ceiling of the wasm backend's memory (CHILD_MAX_WASM_MB); absent = unbounded.
   * `nativeThreads`: threads native TensorFlow may use, should it be the backend that loads.
   */
  | { type: 'init'; backend: BackendChoice; databaseUrl: string; maxWasmMb?: number; nativeThreads: number }
  /**
   * `backend`: what the job trains on (domain/training-backend.ts): the loaded one, or wasm for the
   * smallest dense models. `checkpointIntervalS`: seconds between checkpoints, 0 = at every epoch's end.
   */
  | { type: 'train'; jobId: string; spec: JobSpec; plan: JobPlan; backend: string; start?: StartingPoint; checkpointIntervalS: number }
  /** Stop at the next step; a shutdown or a time limit saves a checkpoint first, a cancel does not. */
  | { type: 'stop'; jobId: string; reason: StopReason }
  /** Hold training before its next step (true) or let it go on (false): the worker's step buffer is full. */
  | { type: 'hold'; jobId: string; hold: boolean };

export type FromChild =
  /** `threads`: the cores one job of this child keeps busy (native TensorFlow's pool size; 1 on wasm and cpu). */
  | { type: 'ready'; backend: string; threads: number; skipped: Array<{ backend: string; error: string }> }
  | { type: 'init-failed'; error: string }
  /** Steps are sent in groups: one IPC message per step would cost more than a tiny model's step. */
  | { type: 'steps'; jobId: string; steps: StepRecord[]; progress: Progress }
  | { type: 'epoch'; jobId: string; epoch: EpochRecord; progress: Progress }
  /** Sent after every step it covers: the worker stores those steps, then the checkpoint. */
  | { type: 'checkpoint'; jobId: string; checkpoint: Checkpoint }
  | { type: 'done'; jobId: string; result: TrainResult; progress: Progress | null; memory: { tensors: number; bytes: number } }
  /**
   * Training threw: deterministic for the spec and backend, so it is not retried (a crash is).
   * `retire`: the failure was not the user's (out of memory, a wasm trap, a bug): this process
   * may be broken and must not train again (see child-failure.ts).
   * `divergedAtStep`: the step whose loss was NaN or infinite, when that is why it failed.
   */
  | { type: 'failed'; jobId: string; error: string; retire: boolean; divergedAtStep?: number };
