/** Liveness and readiness. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { redisReason, withRedis, workerKeyPrefix } from '../../queue.ts';
import type { Db } from '../../store/db.ts';
import { databaseUnavailable } from '../../store/connection-errors.ts';
import { pingDatabase } from '../../store/unavailable.ts';
import type { ApiContext } from '../context.ts';
import { RETRY_AFTER_SECONDS } from '../errors.ts';

/** host, pid and id only for admins (and in open local mode): they map the network for anyone else. */
const Worker = Type.Object({
  id: Type.Optional(Type.String()),
  backend: Type.String(),
  threads: Type.Optional(
    Type.Integer({
      description:
        "threads one job of this worker uses: native TensorFlow's pool (TF_NUM_THREADS, default half the cores), 1 on wasm and cpu; " +
        'absent from workers older than this field',
    }),
  ),
  host: Type.Optional(Type.String()),
  pid: Type.Optional(Type.Integer()),
  concurrency: Type.Integer({ description: 'jobs this worker trains at once' }),
});
const Readiness = Type.Object({
  status: Type.Unsafe<'ready' | 'unavailable'>({ type: 'string', enum: ['ready', 'unavailable'] }),
  database: Type.String({ description: '"ok", or why PostgreSQL is unavailable' }),
  redis: Type.String({ description: '"ok", or why Redis is unavailable' }),
  backends: Type.Array(Type.String(), { description: 'TensorFlow.js backends of the live workers' }),
  workers: Type.Array(Worker),
});
type LiveWorker = Static<typeof Worker>;

/** A readiness check answers within this, whatever the dependency does (a stopped, not closed, server). */
const CHECK_MS = 3000;

/** "ok", or why the database does not answer, in words. */
async function checkDatabase(db: Db): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = Symbol('late');
  try {
    const answer = await Promise.race([
      pingDatabase(db),
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), CHECK_MS);
      }),
    ]);
    return answer === late ? `PostgreSQL did not answer within ${CHECK_MS} ms` : 'ok';
  } catch (err) {
    // Prisma's messages start with a blank line and the call site; their last line is the cause.
    const last = err instanceof Error ? err.message.trim().split('\n').pop() : String(err);
    return databaseUnavailable(err) ?? `SELECT 1 failed: ${last}`;
  } finally {
    clearTimeout(timer);
  }
}

function isWorker(v: unknown): v is LiveWorker {
  const w = v as Partial<LiveWorker> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    typeof w.id === 'string' &&
    typeof w.backend === 'string' &&
    typeof w.host === 'string' &&
    Number.isInteger(w.pid) &&
    Number.isInteger(w.concurrency) &&
    (w.threads === undefined || Number.isInteger(w.threads))
  );
}

/** Live workers: SCAN, not KEYS, which blocks Redis for the whole keyspace. */
async function liveWorkers(redis: Redis, prefix: string): Promise<LiveWorker[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const values = keys.length > 0 ? await redis.mget(keys) : [];
  const workers: LiveWorker[] = [];
  for (const value of values) {
    if (value === null) continue; // expired between SCAN and MGET
    // A foreign or half-written key must not turn readiness into a 500.
    let worker: unknown;
    try {
      worker = JSON.parse(value);
    } catch {
      continue;
    }
    if (isWorker(worker)) workers.push(worker);
  }
  return workers;
}

export function healthRoutes({ db, redis, config }: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: { summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          summary: 'PostgreSQL and Redis reachable (or why not); the live workers, their backends and threads',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (request, reply) => {
        const [database, cache] = await Promise.all([
          checkDatabase(db),
          withRedis(redis, () => redis.ping(), CHECK_MS).then(
            () => 'ok',
            (err: { reason?: string }) => err.reason ?? redisReason(redis),
          ),
        ]);
        const workers =
          cache === 'ok' ? await withRedis(redis, () => liveWorkers(redis, workerKeyPrefix(config)), CHECK_MS).catch(() => []) : [];
        const ready = database === 'ok' && cache === 'ok';
        if (!ready) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        // Without an admin key: ready or not and which dependency is down; the reasons (hosts,
        // ports) and the workers' hosts and pids only for admins (and the open local mode).
        const admin = request.principal.role === 'admin';
        const shown = (state: string) => (state === 'ok' || admin ? state : 'unavailable');
        return reply.status(ready ? 200 : 503).send({
          status: ready ? 'ready' : 'unavailable',
          database: shown(database),
          redis: shown(cache),
          backends: [...new Set(workers.map((w) => w.backend))],
          workers: admin ? workers : workers.map(({ backend, threads, concurrency }) => ({ backend, threads, concurrency })),
        });
      },
    );
  };
}
