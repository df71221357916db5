/**
 * GET /v1/jobs/:id/events: a job's progress as Server-Sent Events, fed by PostgreSQL
 * LISTEN/NOTIFY (events/hub.ts), so it works on any API process whichever machine trains the
 * job. Also starts this process's webhook dispatcher, which listens on the same connection.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiContext } from '../context.ts';
import { EventHub } from '../events/hub.ts';
import { JobStream } from '../events/job-stream.ts';
import { SseWriter } from '../events/sse-writer.ts';
import { requireJob } from '../../jobs/find.ts';
import { ErrorBody, JobIdParams } from '../schemas.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';

const EventsHeaders = Type.Object({
  // At most 9 digits: step numbers are PostgreSQL integers (≤ 2^31 − 1).
  'last-event-id': Type.Optional(
    Type.String({ pattern: '^[0-9]{1,9}$', description: 'the last step received: the stream continues from the step after it' }),
  ),
});

export function liveEventRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const hub = new EventHub(ctx.config.DATABASE_URL, app.log);
    const dispatcher = new WebhookDispatcher(ctx.db, hub, ctx.config, app.log);
    const streams = new Set<SseWriter>();
    app.addHook('onReady', async () => dispatcher.start());
    // Open streams would keep the server from closing: end them first (clients reconnect elsewhere).
    app.addHook('preClose', async () => {
      for (const s of streams) s.end();
    });
    app.addHook('onClose', async () => {
      await dispatcher.stop();
      await hub.close();
    });

    app.get(
      '/v1/jobs/:id/events',
      {
        schema: {
          summary: 'Live events of a job (text/event-stream): steps, epoch, progress, status',
          description:
            'Each `steps` event carries `id` = its last step; reconnect with `Last-Event-ID` to continue with no gap and no ' +
            'repeat. The stream ends after the final status, and the server closes the connection.',
          params: JobIdParams,
          headers: EventsHeaders,
          response: { 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const job = await requireJob(ctx.db, request.principal.tenant, request.params.id);
        const lastStep = Number(request.headers['last-event-id'] ?? 0);
        await hub.ready().catch(() => {}); // not listening yet: the heartbeat pass still catches up
        reply.hijack();
        let stream: JobStream | undefined;
        const out = new SseWriter(reply.raw, () => stream?.wake());
        streams.add(out);
        const unsubscribe = hub.subscribe(job.id, () => stream?.wake());
        const cleanup = () => {
          unsubscribe();
          streams.delete(out);
        };
        stream = new JobStream(ctx.db, job.id, out, lastStep, cleanup);
        reply.raw.on('close', () => {
          out.end();
          cleanup();
        });
        await stream.start().catch(() => out.end());
      },
    );
  };
}
