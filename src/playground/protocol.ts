/** Messages between the API's playground runner and its child process (IPC, advanced serialization). */
import type { TrajectoryRequest, TrajectoryResult } from './request.ts';

export type ToPlayground = { type: 'run'; id: number; request: TrajectoryRequest };

export type FromPlayground =
  | { type: 'ready'; backend: string }
  | { type: 'init-failed'; error: string }
  | { type: 'result'; id: number; result: TrajectoryResult }
  /** `field` is set when the child rejected the input (an InvalidInputError): the API answers 400. */
  | { type: 'failed'; id: number; error: string; field?: string };
