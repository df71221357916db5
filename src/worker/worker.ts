/**
 * A worker: takes training jobs from the queue, runs each in a training child process,
 * listens for cancels, announces itself (and its backend) in Redis, and shuts down cleanly.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { Job, QueueEvents, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { givenUpByQueue } from '../jobs/outcome.ts';
import type { Db } from '../store/db.ts';
import { finishJob } from '../store/attempts.ts';
import { ChildPool } from './child-pool.ts';
import { chooseConcurrency, defaultNativeThreads, thisMachine } from './concurrency.ts';
import { PendingCancels } from './cancel-registry.ts';
import { LostLocks } from './lost-locks.ts';
import { processTrainingJob, type WorkerHooks } from './process-job.ts';
import { cancelChannel, connectRedis, WORKER_HEARTBEAT_MS, workerKeyPrefix, type TrainingJobData } from '../queue.ts';

export interface TrainingWorker {
  /** Stops taking jobs, stops running ones after their current step (they go back to the queue), closes. */
  close(): Promise<void>;
  readonly id: string;
}

/** `hooks`: seams for tests (process-job.ts); a production worker has none. */
export async function startWorker(config: Config, db: Db, log: Logger, { hooks }: { hooks?: WorkerHooks } = {}): Promise<TrainingWorker> {
  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const pool = new ChildPool({
    backend: config.TFJS_BACKEND,
    jobsPerChild: config.WORKER_JOBS_PER_CHILD,
    databaseUrl: config.DATABASE_URL,
    maxHeapMb: config.CHILD_MAX_HEAP_MB,
    maxWasmMb: config.CHILD_MAX_WASM_MB,
    nativeThreads: config.TF_NUM_THREADS ?? defaultNativeThreads(availableParallelism()),
  });
  const cancels = new PendingCancels();
  let shuttingDown = false;
  const workerLog = log.child({ worker: id });

  // Start one training process now: it names the backend, and a backend that cannot load
  // stops the worker at start rather than failing every job.
  const { backend, threads } = await pool.warmUp();
  const { concurrency, reason } = chooseConcurrency(config.WORKER_CONCURRENCY, backend, thisMachine(backend), {
    maxHeapMb: config.CHILD_MAX_HEAP_MB,
    maxWasmMb: config.CHILD_MAX_WASM_MB,
    threads,
  });
  // threads: per child; concurrency × threads is what this worker asks of the machine's cores.
  workerLog.info({ backend, threads, concurrency, reason }, 'training backend ready');

  const connection = connectRedis(config, 'worker');
  const subscriber = connectRedis(config, 'worker');
  await subscriber.subscribe(cancelChannel(config));

  const heartbeatKey = workerKeyPrefix(config) + id;
  const beat = () =>
    connection.set(
      heartbeatKey,
      JSON.stringify({ id, backend, threads, host: hostname(), pid: process.pid, concurrency }),
      'PX',
      WORKER_HEARTBEAT_MS * 3,
    );
  await beat();
  const heartbeat = setInterval(() => void beat().catch(() => {}), WORKER_HEARTBEAT_MS);

  const worker = new Worker<TrainingJobData>(
    config.QUEUE_NAME,
    // Three parameters: BullMQ then hands the processor an AbortSignal (worker.cancelJob aborts it).
    (job, token, signal) =>
      processTrainingJob(job, token, signal, { db, pool, log: workerLog, config, cancels, shuttingDown: () => shuttingDown, hooks }),
    {
      connection,
      concurrency,
      lockDuration: config.JOB_LOCK_MS,
      stalledInterval: config.STALLED_INTERVAL_MS,
      maxStalledCount: config.MAX_STALLED_COUNT,
    },
  );
  // A lock lost with Redis's data is a warning once per job, not an error every renewal (lost-locks.ts).
  const lostLocks = new LostLocks(workerLog);
  worker.on('error', (err) => {
    if (!lostLocks.handled(err)) workerLog.error({ err }, 'worker error');
  });
  worker.on('locksRenewed', ({ jobIds }) => lostLocks.renewed(jobIds));
  // A cancel reaches the job through BullMQ's AbortSignal when this worker runs it; otherwise it
  // is remembered, in case the job starts here soon.
  subscriber.on('message', (_channel, jobId: string) => {
    if (!worker.cancelJob(jobId, 'cancel')) cancels.remember(jobId);
  });

  // A job that stalled too often (its workers kept dying) is failed by BullMQ without running
  // our processor, and only a 'failed' event says so: record it in PostgreSQL. A job our
  // processor failed is already recorded (finishJob changes only queued and running rows); an
  // event missed here is caught by the reconciler.
  const eventsConnection = connectRedis(config, 'worker');
  const events = new QueueEvents(config.QUEUE_NAME, { connection: eventsConnection });
  events.on('failed', ({ jobId, failedReason }) => {
    const record = async () => {
      const stalls = (await Job.fromId(worker, jobId))?.stalledCounter ?? 0;
      await finishJob(db, jobId, 'failed', { error: givenUpByQueue(stalls, config.MAX_STALLED_COUNT, failedReason) });
    };
    record().catch((err: unknown) => workerLog.error({ err, jobId }, 'recording a job the queue gave up on failed'));
  });

  return {
    id,
    async close() {
      shuttingDown = true;
      worker.cancelAllJobs('shutdown');
      clearInterval(heartbeat);
      await worker.close();
      await events.close();
      await pool.close();
      await connection.del(heartbeatKey).catch(() => {});
      // BullMQ leaves connections it was given open: they are ours to close.
      for (const redis of [subscriber, eventsConnection, connection]) redis.disconnect();
    },
  };
}
