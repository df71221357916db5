/**
 * The Fastify app factory: schemas, OpenAPI (/openapi.json) and docs (/docs), error mapping,
 * routes. It never listens by itself, so tests drive it with inject() or on a port of their own.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { AuthGate } from './auth/gate.ts';
import { keyRoutes } from './auth/key-routes.ts';
import { securityPlugin } from './auth/plugin.ts';
import type { ApiContext } from './context.ts';
import { registerErrorHandling } from './errors.ts';
import { registerInputGuards } from './json-body.ts';
import { withRedactedRequests } from './request-log.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { liveEventRoutes } from './routes/events.ts';
import { modelRoutes } from './routes/models.ts';
import { resultRoutes } from './routes/results.ts';
import { trajectoryRoutes } from './routes/trajectories.ts';
import { comparisonRoutes } from './routes/comparisons.ts';
import { pictureRoutes } from './routes/pictures.ts';
import { lrFinderRoutes } from './routes/lr-finder.ts';
import { buildValidator, rejectUnknownQuery } from './validation.ts';
import { requestTimeoutMessage, serverTimeouts } from './server-timeouts.ts';
import { dashboardRoutes } from './dashboard.ts';

export async function buildApp(ctx: ApiContext, logger: Logger | false = false): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines log the path and the query's names, never its values (request-log.ts).
    loggerInstance: logger ? withRedactedRequests(logger) : undefined,
    bodyLimit: ctx.config.MAX_BODY_BYTES,
    return503OnClosing: true,
    ...serverTimeouts(ctx.config),
    // Bodies are validated without coercion, query strings and paths with it (validation.ts).
    schemaController: { compilersFactory: { buildValidator } },
    // A malformed URL ("%zz") answers in our shape and does not echo the URL back.
    frameworkErrors: (_err, _request, reply) => {
      (reply as FastifyReply).status(400).send({ error: 'invalid_request', message: 'url: not a valid URL', details: {} });
    },
    // Errors before a request is parsed (headers past Node's 16 KiB, a broken request line) in our
    // shape too, and a request too slow for Node's timeouts (serverTimeouts).
    clientErrorHandler: (err, socket) => {
      // A response already under way on this socket cannot be answered over (Node's own rule).
      const response = (socket as { _httpMessage?: { headersSent: boolean } })._httpMessage;
      if (!socket.writable || response?.headersSent) return socket.destroy(err);
      const code = (err as { code?: string }).code;
      const [status, text, body] =
        code === 'HPE_HEADER_OVERFLOW'
          ? [
              431,
              'Request Header Fields Too Large',
              { error: 'request_header_fields_too_large', message: 'url and headers: larger than 16 KiB together' },
            ]
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', { error: 'request_timeout', message: requestTimeoutMessage(ctx.config, response !== undefined) }]
            : [400, 'Bad Request', { error: 'invalid_request', message: 'not a well-formed HTTP request' }];
      const json = JSON.stringify({ ...body, details: {} });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ` +
          `${Buffer.byteLength(json)}\r\n\r\n${json}`,
        // A client too slow is not read any further either (end alone leaves the socket half open).
        () => status === 408 && socket.destroy(),
      );
    },
    ajv: {
      // Unknown fields are errors, not silently dropped (Fastify's default removes them).
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  });

  registerErrorHandling(app);
  registerInputGuards(app);
  // First: its hooks (keys, tenants, Host/Origin, rate limit) cover every route registered after it.
  const gate = new AuthGate(ctx.db, ctx.config);
  await app.register(securityPlugin, { ctx, gate });
  app.addHook('preValidation', async (request) => rejectUnknownQuery(request));
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Training service',
        version: '1',
        description: 'Submit a dataset, a model and an optimizer; poll; download the trained model and optimizer state.',
      },
      // Every route takes `Authorization: Bearer <key>` (api/auth); /docs gets an Authorize button.
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key, trn_…' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(ctx));
  await app.register(jobRoutes(ctx));
  await app.register(resultRoutes(ctx));
  await app.register(modelRoutes(ctx));
  await app.register(datasetRoutes(ctx));
  await app.register(trajectoryRoutes(ctx));
  await app.register(comparisonRoutes(ctx));
  await app.register(pictureRoutes(ctx));
  await app.register(lrFinderRoutes(ctx));
  await app.register(liveEventRoutes(ctx));
  await app.register(keyRoutes(ctx, gate));
  await app.register(dashboardRoutes());
  return app;
}
