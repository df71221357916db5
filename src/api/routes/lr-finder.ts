/** /v1/lr-finder: the learning-rate range test, answered as loss against rate with a suggested rate. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { lrChart } from '../../pictures/lr-chart.ts';
import type { ApiContext } from '../context.ts';
import { requireComparison } from '../../comparisons/find.ts';
import { createLrFinder, lrFinderView } from '../../lr-finder/lr-finder.ts';
import { JobBaseSchema, OptimizerSchema } from '../request-schemas.ts';
import { ErrorBody, JobIdParams } from '../schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Rate = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description });

const LrFinderRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    base: Type.Unsafe<Record<string, unknown>>({
      ...JobBaseSchema,
      description: 'a job spec (dataset, model, training); its epochs are set to cover `steps`',
    }),
    optimizer: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        ...OptimizerSchema,
        description: 'the optimizer tested (default: base.optimizer); its learningRate is replaced',
        examples: [{ name: 'adam' }],
      }),
    ),
    minLearningRate: Type.Optional(Rate('rate of the first step (default 1e-7)')),
    maxLearningRate: Type.Optional(Rate('rate of step `steps` (default 10)')),
    steps: Type.Optional(Type.Integer({ minimum: 10, maximum: 1000, description: 'steps of the test (default 100)' })),
    stopFactor: Type.Optional(
      Type.Number({
        exclusiveMinimum: 1,
        maximum: 1000,
        description: 'the test ends when the smoothed loss passes this × its lowest (default 4)',
      }),
    ),
  },
  { additionalProperties: false },
);

const LrFinderView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  status: Type.Unsafe<string>({ type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'canceled'] }),
  jobId: Type.String({ format: 'uuid' }),
  optimizer: Type.String(),
  minLearningRate: Type.Number(),
  maxLearningRate: Type.Number(),
  steps: Type.Integer(),
  stopFactor: Type.Number(),
  points: Type.Array(Type.Object({ step: Type.Integer(), learningRate: Type.Number(), loss: Type.Number(), smoothedLoss: Type.Number() })),
  stop: Nullable(Type.Object({ step: Type.Integer(), reason: Type.String({ description: 'stopFactor, diverged or maxLearningRate' }) })),
  suggestion: Nullable(
    Type.Object(
      { step: Type.Integer(), learningRate: Type.Number() },
      { description: 'steepest descent of the smoothed loss against log(rate)' },
    ),
  ),
  error: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export function lrFinderRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const requireTest = (tenant: string, id: string) => requireComparison(ctx.db, tenant, 'lrFinder', id);
  return async (app) => {
    app.post(
      '/v1/lr-finder',
      {
        schema: {
          summary: 'Learning-rate range test: one short run with the rate rising exponentially per step',
          body: LrFinderRequest,
          response: { 201: LrFinderView, 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const id = await createLrFinder(ctx, request.principal.tenant, request.body);
        return reply
          .status(201)
          .header('location', `/v1/lr-finder/${id}`)
          .send(await lrFinderView(ctx, await requireTest(request.principal.tenant, id)));
      },
    );

    app.get(
      '/v1/lr-finder/:id',
      {
        schema: {
          summary: 'A range test: loss against rate, where it ended, the suggested rate',
          params: JobIdParams,
          response: { 200: LrFinderView, 404: ErrorBody },
        },
      },
      async (request) => lrFinderView(ctx, await requireTest(request.principal.tenant, request.params.id)),
    );

    app.get(
      '/v1/lr-finder/:id/loss.svg',
      {
        schema: {
          summary: 'A range test as SVG: loss against learning rate (log scale), the suggestion marked',
          params: JobIdParams,
          response: { 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const view = await lrFinderView(ctx, await requireTest(request.principal.tenant, request.params.id));
        const title = `${view.name ?? 'learning-rate range test'} (${view.optimizer})`;
        return (reply as FastifyReply)
          .type('image/svg+xml; charset=utf-8')
          .send(lrChart(title, view.points, view.suggestion?.learningRate ?? null));
      },
    );
  };
}
