/** What the jobs use cases need from the outside world; the API's context is a superset of it. */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { TrainingJobData } from '../queue.ts';
import type { Db } from '../store/db.ts';

export interface JobsContext {
  config: Config;
  db: Db;
  redis: Redis;
  queue: Queue<TrainingJobData>;
}
