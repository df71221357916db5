/**
 * What every use case (jobs/, comparisons/, lr-finder/, datasets/) needs from the outside world:
 * the config, PostgreSQL, Redis and the training queue. The API's context (api/context.ts) is a
 * superset of it; the worker's own, per job, is WorkerContext (worker/process-job.ts).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { TrainingJobData } from './queue.ts';
import type { Db } from './store/db.ts';

export interface UseCaseContext {
  config: Config;
  db: Db;
  redis: Redis;
  queue: Queue<TrainingJobData>;
}
