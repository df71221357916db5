/** What the routes need from the outside world, handed to the app factory (tests build their own). */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { TrainingJobData } from '../queue/queue.ts';
import type { Db } from '../store/db.ts';

export interface ApiContext {
  config: Config;
  db: Db;
  redis: Redis;
  queue: Queue<TrainingJobData>;
}
