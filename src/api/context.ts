/** What the routes need from the outside world, handed to the app factory (tests build their own). */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { TrainingJobData } from '../worker/queue.ts';
import type { Db } from '../store/db.ts';
import type { TrajectoryRequest, TrajectoryResult } from '../playground/request.ts';

export interface ApiContext {
  config: Config;
  db: Db;
  redis: Redis;
  queue: Queue<TrainingJobData>;
  /** The optimizer playground's child process (playground/runner.ts); absent → /v1/trajectories answers 503. */
  playground?: { run(request: TrajectoryRequest): Promise<TrajectoryResult>; close(): Promise<void> };
}
