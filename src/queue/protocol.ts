/** Messages between a worker and its training child process (IPC, advanced serialization). */
import type { BackendChoice } from '../config.ts';
import type { JobPlan, JobSpec } from '../training/spec/job.ts';
import type { EpochRecord, Progress, StartingPoint, StepRecord, TrainResult } from '../training/train.ts';

export type ToChild =
  /** `databaseUrl`: where the child reads uploaded datasets (they are too large to send over IPC). */
  | { type: 'init'; backend: BackendChoice; databaseUrl: string }
  | { type: 'train'; jobId: string; spec: JobSpec; plan: JobPlan; start?: StartingPoint }
  /** Stop at the next step; `reason` says whether the user canceled or the worker is shutting down. */
  | { type: 'stop'; jobId: string; reason: 'cancel' | 'shutdown' };

export type FromChild =
  | { type: 'ready'; backend: string; skipped: Array<{ backend: string; error: string }> }
  | { type: 'init-failed'; error: string }
  /** Steps are sent in groups: one IPC message per step would cost more than a tiny model's step. */
  | { type: 'steps'; jobId: string; steps: StepRecord[]; progress: Progress }
  | { type: 'epoch'; jobId: string; epoch: EpochRecord; progress: Progress }
  | { type: 'done'; jobId: string; result: TrainResult; progress: Progress | null; memory: { tensors: number; bytes: number } }
  /**
   * Training threw: deterministic for the spec and backend, so it is not retried (a crash is).
   * `divergedAtStep`: the step whose loss was NaN or infinite, when that is why it failed.
   */
  | { type: 'failed'; jobId: string; error: string; divergedAtStep?: number };
