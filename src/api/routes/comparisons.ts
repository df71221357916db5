/** /v1/comparisons: several optimizers on the same job side by side ("which optimizer for my task?"). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { InvalidInputError } from '../../errors.ts';
import { getComparison, listComparisons, type ComparisonRow } from '../../store/comparisons.ts';
import { expandVariants, METRICS, type ComparisonBody } from '../../comparisons/request.ts';
import { cancelComparison } from '../../comparisons/cancel.ts';
import { createComparison } from '../../comparisons/create.ts';
import { requireComparison } from '../../comparisons/find.ts';
import { comparisonStatus, comparisonView } from '../../comparisons/view.ts';
import type { ApiContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../job-view.ts';
import { JobBaseSchema, OptimizerSchema } from '../request-schemas.ts';
import { ErrorBody, JobIdParams, JobStatus } from '../schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Metric = Type.Unsafe<(typeof METRICS)[number]>({ type: 'string', enum: [...METRICS] });

const ComparisonRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    base: Type.Unsafe<Record<string, unknown>>({
      ...JobBaseSchema,
      description: "a job spec (dataset, model, training, initFrom?); its optimizer, if any, is replaced by each variant's",
      examples: [
        {
          dataset: { builtin: 'iris' },
          model: {
            layers: [{ type: 'dense', units: 3, activation: 'softmax' }],
            loss: 'sparseCategoricalCrossentropy',
            metrics: ['accuracy'],
          },
          training: { epochs: 20, batchSize: 16, validationSplit: 0.2, seed: 1 },
        },
      ],
    }),
    variants: Type.Optional(Type.Array(Type.Object({ optimizer: OptimizerSchema }, { additionalProperties: false }), { maxItems: 1000 })),
    sweep: Type.Optional(
      Type.Object(
        {
          optimizers: Type.Array(Type.Union([Type.String({ maxLength: 100 }), OptimizerSchema]), {
            minItems: 1,
            maxItems: 1000,
            description: 'optimizer names, or optimizer objects without learningRate',
          }),
          learningRates: Type.Optional(
            Type.Array(Type.Number(), { minItems: 1, maxItems: 1000, description: 'every optimizer runs at each of these rates' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    metric: Type.Optional(Metric),
    target: Type.Optional(
      Type.Number({ minimum: -1e300, maximum: 1e300, description: 'a loss: stepToTarget is the first step whose loss was at most this' }),
    ),
  },
  { additionalProperties: false },
);

const Summary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  status: Type.Unsafe<'queued' | 'running' | 'completed' | 'canceled'>({
    type: 'string',
    enum: ['queued', 'running', 'completed', 'canceled'],
  }),
  metric: Metric,
  target: Nullable(Type.Number()),
  jobs: Type.Array(Type.String({ format: 'uuid' }), { description: 'job ids in variant order' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const Row = Type.Object({
  variant: Type.Integer(),
  jobId: Type.String({ format: 'uuid' }),
  label: Type.String({ description: 'optimizer and learning rate' }),
  optimizer: Type.String(),
  learningRate: Type.Unknown({ description: 'a number or a schedule object' }),
  status: JobStatus,
  finalLoss: Nullable(Type.Number({ description: 'mean training loss of the last finished epoch' })),
  finalValLoss: Nullable(Type.Number({ description: 'validation loss after the last finished epoch' })),
  finalValAccuracy: Nullable(Type.Number()),
  bestValLoss: Nullable(Type.Number()),
  bestValAccuracy: Nullable(Type.Number()),
  stepToTarget: Nullable(Type.Integer({ description: 'first step whose loss was at most target' })),
  wallSeconds: Nullable(Type.Number()),
  diverged: Type.Boolean(),
  divergedAtStep: Nullable(Type.Integer()),
  error: Type.Optional(Type.String()),
});

const ComparisonView = Type.Object({
  ...Summary.properties,
  rows: Type.Array(Row),
  best: Nullable(
    Type.Object({ jobId: Type.String(), variant: Type.Integer(), label: Type.String(), metric: Metric, value: Type.Number() }),
  ),
});

const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export function comparisonRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { db, config } = ctx;
  const summary = (row: ComparisonRow) => ({
    id: row.id,
    name: row.name,
    status: comparisonStatus(row),
    metric: row.metric as (typeof METRICS)[number],
    target: row.target,
    jobs: row.jobIds,
    createdAt: row.createdAt.toISOString(),
  });
  const requireOne = (tenant: string, id: string) => requireComparison(db, tenant, 'comparison', id);

  return async (app) => {
    app.post(
      '/v1/comparisons',
      {
        schema: {
          summary: 'Compare optimizers: one job per variant, identical but for the optimizer',
          body: ComparisonRequest,
          response: { 201: Summary, 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const body = request.body as ComparisonBody;
        const variants = expandVariants(body, config.MAX_COMPARISON_VARIANTS);
        const { tenant } = request.principal;
        const made = await createComparison(ctx, tenant, 'comparison', body, variants, { variants: variants.map((v) => v.optimizer) });
        const row = (await getComparison(db, tenant, 'comparison', made.created.id))!;
        return reply.status(201).header('location', `/v1/comparisons/${row.id}`).send(summary(row));
      },
    );

    app.get(
      '/v1/comparisons',
      {
        schema: {
          summary: 'List comparisons, newest first',
          querystring: ListQuery,
          response: { 200: Type.Object({ comparisons: Type.Array(Summary), nextCursor: Nullable(Type.String()) }), 400: ErrorBody },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (after === null) throw new InvalidInputError('cursor', 'is not a cursor this API returned');
        const page = await listComparisons(db, request.principal.tenant, 'comparison', { limit, after });
        return { comparisons: page.comparisons.map(summary), nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    );

    app.get(
      '/v1/comparisons/:id',
      {
        schema: {
          summary: 'A comparison: status, one row of results per variant, the best one',
          params: JobIdParams,
          response: { 200: ComparisonView, 404: ErrorBody },
        },
      },
      async (request) => comparisonView(ctx, await requireOne(request.principal.tenant, request.params.id)),
    );

    app.post(
      '/v1/comparisons/:id/cancel',
      {
        schema: {
          summary: 'Cancel every unfinished job of a comparison',
          params: JobIdParams,
          response: { 200: ComparisonView, 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request) => comparisonView(ctx, await cancelComparison(ctx, request.principal.tenant, request.params.id, request.log)),
    );
  };
}
