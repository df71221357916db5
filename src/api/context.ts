/** What the routes need from the outside world, handed to the app factory (tests build their own). */
import type { UseCaseContext } from '../use-case-context.ts';
import type { TrajectoryRequest, TrajectoryResult } from '../playground/request.ts';

export interface ApiContext extends UseCaseContext {
  /** The optimizer playground's child process (playground/runner.ts); absent → /v1/trajectories answers 503. */
  playground?: { run(request: TrajectoryRequest): Promise<TrajectoryResult>; close(): Promise<void> };
}
