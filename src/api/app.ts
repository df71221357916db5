/**
 * The Fastify app factory: schemas, OpenAPI (/openapi.json) and docs (/docs), error mapping,
 * routes. It never listens by itself, so tests drive it with inject() or on a port of their own.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiContext } from './context.ts';
import { registerErrorHandling } from './errors.ts';
import { registerInputGuards } from './json-body.ts';
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
import { dashboardRoutes } from './dashboard.ts';

export async function buildApp(ctx: ApiContext, logger: Logger | false = false): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (logger || undefined) as FastifyBaseLogger | undefined,
    bodyLimit: ctx.config.MAX_BODY_BYTES,
    return503OnClosing: true,
    ajv: {
      // Unknown fields are errors, not silently dropped (Fastify's default removes them).
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  });

  registerErrorHandling(app);
  registerInputGuards(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Training service', version: '1', description: 'Submit a dataset, a model and an optimizer; poll; download the trained model and optimizer state.' },
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
  await app.register(dashboardRoutes());
  return app;
}
