/**
 * The BullMQ side shared by the API and the workers: the queue, what a queued job carries
 * (only the id: PostgreSQL holds the spec), the cancel channel, the registry of live workers, and
 * Redis calls with a deadline.
 */
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';
import { DependencyUnavailableError } from './errors.ts';

export interface TrainingJobData {
  jobId: string;
}

/** Pub/sub channel on which the API announces cancels to every worker machine. */
export const cancelChannel = (config: Config) => `${config.QUEUE_NAME}:cancel`;
/** Each live worker keeps a key here, refreshed while it runs, naming its backend. */
export const workerKeyPrefix = (config: Config) => `${config.QUEUE_NAME}:workers:`;
export const WORKER_HEARTBEAT_MS = 5000;

/**
 * A Redis connection. Workers block on Redis and must retry forever (`maxRetriesPerRequest:
 * null`); the API fails fast when Redis is down (`enableOfflineQueue: false`) so a request
 * answers 503 instead of hanging.
 */
export function connectRedis(config: Config, role: 'api' | 'worker'): Redis {
  const opts: RedisOptions =
    role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  const redis = new Redis(config.REDIS_URL, { ...opts, lazyConnect: false });
  // Without a listener ioredis prints every failed reconnect; the failures that matter surface
  // where a command fails (a 503, /readyz) and ioredis keeps reconnecting by itself.
  redis.on('error', () => {});
  return redis;
}

export function createQueue(config: Config, connection: Redis): Queue<TrainingJobData> {
  const queue = new Queue<TrainingJobData>(config.QUEUE_NAME, {
    connection,
    defaultJobOptions: {
      attempts: config.JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 2000 },
      // PostgreSQL keeps the history; Redis only needs recent entries.
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  });
  queue.on('error', () => {}); // connection errors: see connectRedis
  return queue;
}

/** How long a submit waits for Redis before it answers 503. */
const ENQUEUE_TIMEOUT_MS = 5000;

/**
 * Queues a job under its own id (a UUID: no ':' that BullMQ forbids in custom ids). BullMQ waits
 * for its connection to be ready with no deadline of its own, so this sets one. Should the add
 * still land after it, the worker finds no job row and drops it.
 */
export async function enqueueTraining(queue: Queue<TrainingJobData>, jobId: string): Promise<void> {
  await withDeadline(
    queue.add('train', { jobId }, { jobId }),
    ENQUEUE_TIMEOUT_MS,
    () => new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`),
  );
}

/** Why Redis does not answer, from the client's connection state (its errors carry no code). */
export function redisReason(redis: Redis): string {
  const where = `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}`;
  switch (redis.status) {
    case 'ready':
      return `Redis at ${where} did not answer in time`;
    case 'end':
    case 'close':
      return `the connection to Redis at ${where} is closed`;
    default:
      return `Redis at ${where} is not connected (${redis.status}): the connection was lost or refused, and the client keeps trying`;
  }
}

/**
 * Runs a Redis call; any failure or no answer within `ms` is a DependencyUnavailableError (the
 * API's client fails at once while disconnected, see connectRedis).
 */
export async function withRedis<T>(redis: Redis, call: () => Promise<T>, ms = 5000): Promise<T> {
  try {
    return await withDeadline(call(), ms, () => new DependencyUnavailableError('redis', `Redis did not answer within ${ms} ms`));
  } catch (err) {
    throw err instanceof DependencyUnavailableError ? err : new DependencyUnavailableError('redis', redisReason(redis), { cause: err });
  }
}

/** What `pending` settles to, or `timeoutError()` thrown once `ms` pass first. */
async function withDeadline<T>(pending: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
