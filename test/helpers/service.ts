/**
 * A running service for integration tests: the real app on a loopback port, the real
 * PostgreSQL and Redis, and (optionally) an in-process worker with real training children.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { PlaygroundRunner } from '../../src/playground/runner.ts';
import type { Config } from '../../src/config.ts';
import { connectRedis, createQueue } from '../../src/queue.ts';
import { Reconciler } from '../../src/worker/reconciler.ts';
import type { WorkerHooks } from '../../src/worker/process-job.ts';
import { startWorker, type TrainingWorker } from '../../src/worker/worker.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { testConfig } from './env.ts';

export interface TestService {
  config: Config;
  app: FastifyInstance;
  db: Db;
  url: string;
  worker?: TrainingWorker;
  /** Present with `reconcile: true`: it shares PostgreSQL's view with Redis, as in main.ts. */
  reconciler?: Reconciler;
  /** `hooks`: seams that hold a job at a known point (src/worker/process-job.ts). */
  startWorker(opts?: { hooks?: WorkerHooks; log?: Logger }): Promise<TrainingWorker>;
  /** Closes every in-process worker started so far. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `reconcile`: run the reconciler as `npm start` does. Only for a test with a database of its own:
 * it queues every job its database holds as queued, other test files' leftovers included.
 */
export async function startService(
  opts: { worker?: boolean; reconcile?: boolean; env?: Record<string, string> } = {},
): Promise<TestService> {
  const config = testConfig(opts.env);
  await prepareDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL);
  const redis = connectRedis(config, 'api');
  const queueConnection = connectRedis(config, 'api');
  const queue = createQueue(config, queueConnection);
  const playground = new PlaygroundRunner(); // its child starts on the first /v1/trajectories request
  const app = await buildApp({ config, db, redis, queue, playground });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const log = pino({ level: config.LOG_LEVEL });
  const workers: TrainingWorker[] = [];
  const service: TestService = {
    config,
    app,
    db,
    url: `http://127.0.0.1:${port}`,
    async startWorker({ hooks, log: workerLog = log }: { hooks?: WorkerHooks; log?: Logger } = {}) {
      const worker = await startWorker(config, db, workerLog, { hooks });
      workers.push(worker);
      service.worker ??= worker;
      return worker;
    },
    async stopWorkers() {
      for (const w of workers.splice(0)) await w.close();
      service.worker = undefined;
    },
    async close() {
      await service.reconciler?.close();
      await app.close();
      await playground.close();
      for (const w of workers) await w.close();
      // Both wait for Redis; a test of Redis being down must not wait forever.
      const atMost = (ms: number, p: Promise<unknown>) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms))]);
      await atMost(5000, queue.obliterate({ force: true }));
      await atMost(2000, queue.close());
      redis.disconnect();
      queueConnection.disconnect();
      await db.$disconnect();
    },
  };
  if (opts.reconcile) {
    service.reconciler = new Reconciler(db, queue, config, log);
    service.reconciler.start();
  }
  if (opts.worker) await service.startWorker();
  return service;
}
