/**
 * Entry points. `api` serves HTTP, `worker` trains (start one per machine you add), `all`
 * runs both in one process, the single-machine default of `npm start`. Every mode prepares
 * the database first (creating it and applying migrations) and shuts down cleanly on SIGTERM.
 */
import { pino, type Logger } from 'pino';
import { buildApp } from './api/app.ts';
import { loadConfig, type Config } from './config.ts';
import { PlaygroundRunner } from './playground/runner.ts';
import { connectRedis, createQueue } from './queue.ts';
import { Reconciler } from './worker/reconciler.ts';
import { startWorker } from './worker/worker.ts';
import { createDb } from './store/db.ts';
import { MigrationError, prepareDatabase } from './store/migrate.ts';

type Mode = 'api' | 'worker' | 'all';

/** PostgreSQL may still be starting (docker compose): retry for a while before giving up. */
async function prepareWithRetries(config: Config, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await prepareDatabase(config.DATABASE_URL);
      if (applied.length > 0) log.info({ applied }, 'database migrations applied');
      return;
    } catch (err) {
      if (attempt >= 10 || err instanceof MigrationError) throw err;
      log.warn({ err: (err as Error).message, attempt }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function main(mode: Mode): Promise<void> {
  const config = loadConfig();
  // Keys never reach a log line, even should a request's headers be logged (a key is logged by its id).
  const log = pino({ level: config.LOG_LEVEL, base: { mode }, redact: ['req.headers.authorization', 'headers.authorization'] });
  await prepareWithRetries(config, log);
  const db = createDb(config.DATABASE_URL);
  const closers: Array<() => Promise<unknown>> = [];
  // Listening from here on: a signal while starting closes what has started so far.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // worker.close() can wait forever when Redis is gone (bullmq#2430): the deadline wins.
    setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    void (async () => {
      for (const close of closers) await close().catch((err) => log.error({ err }, 'error while closing'));
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (mode === 'worker' || mode === 'all') {
    const worker = await startWorker(config, db, log);
    closers.push(() => worker.close());
  }
  // Every process reconciles PostgreSQL with Redis (one at a time across them: see reconciler.ts).
  const queueConnection = connectRedis(config, mode === 'worker' ? 'worker' : 'api');
  const queue = createQueue(config, queueConnection);
  const reconciler = new Reconciler(db, queue, config, log);
  reconciler.start();
  closers.push(() => reconciler.close());
  if (mode === 'api' || mode === 'all') {
    const redis = connectRedis(config, 'api');
    const playground = new PlaygroundRunner({ log });
    playground.start().catch((err) => log.warn({ err }, 'playground process did not start; requests will retry'));
    const app = await buildApp({ config, db, redis, queue, playground }, log);
    await app.listen({ port: config.PORT, host: config.HOST });
    // Stop taking requests first (503 while closing; dataset uploads under way are stopped and
    // removed, see routes/datasets.ts), then the workers, then the connections.
    closers.unshift(() => app.close());
    closers.push(
      async () => redis.disconnect(),
      () => playground.close(),
    );
  }
  closers.push(
    () => queue.close(),
    async () => queueConnection.disconnect(),
    () => db.$disconnect(),
  );
}

const mode = (process.argv[2] ?? 'all') as Mode;
if (!['api', 'worker', 'all'].includes(mode)) {
  console.error(`usage: main.ts api|worker|all (got ${mode})`);
  process.exit(2);
}
main(mode).catch((err) => {
  console.error(err);
  process.exit(1);
});
