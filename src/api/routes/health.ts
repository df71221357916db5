/** Liveness and readiness. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { workerKeyPrefix } from '../../queue/queue.ts';
import type { ApiContext } from '../context.ts';

/** host, pid and id only for admins (and in open local mode): they map the network for anyone else. */
const Worker = Type.Object({ id: Type.Optional(Type.String()), backend: Type.String(), host: Type.Optional(Type.String()), pid: Type.Optional(Type.Integer()), concurrency: Type.Integer() });
const Readiness = Type.Object({
  status: Type.Unsafe<'ready' | 'unavailable'>({ type: 'string', enum: ['ready', 'unavailable'] }),
  database: Type.String(),
  redis: Type.String(),
  backends: Type.Array(Type.String(), { description: 'TensorFlow.js backends of the live workers' }),
  workers: Type.Array(Worker),
});

const errorText = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

export function healthRoutes({ db, redis, config }: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', {
      schema: { summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    }, async () => ({ status: 'ok' as const }));

    app.get('/readyz', {
      schema: { summary: 'PostgreSQL and Redis reachable; the backends of live workers', response: { 200: Readiness, 503: Readiness } },
    }, async (request, reply) => {
      const [database, cache] = await Promise.allSettled([db.$queryRaw`SELECT 1`, redis.ping()]);
      let workers: Array<Static<typeof Worker>> = [];
      if (cache.status === 'fulfilled') {
        const keys = await redis.keys(`${workerKeyPrefix(config)}*`).catch(() => []);
        const values = keys.length > 0 ? await redis.mget(keys).catch(() => []) : [];
        workers = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v));
      }
      const ready = database.status === 'fulfilled' && cache.status === 'fulfilled';
      // Without an admin key: ready or not and which dependency is down, no raw error text.
      const admin = request.principal.role === 'admin';
      const state = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 'ok' : admin ? errorText(r.reason) : 'unavailable');
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'unavailable',
        database: state(database),
        redis: state(cache),
        backends: [...new Set(workers.map((w) => w.backend))],
        workers: admin ? workers : workers.map(({ backend, concurrency }) => ({ backend, concurrency })),
      });
    });
  };
}
