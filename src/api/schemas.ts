/**
 * Request and response schemas (TypeBox): one definition gives validation, TypeScript types
 * and the OpenAPI document. Dataset, model, optimizer, training and initFrom are described in
 * full (request-schemas.ts, from the parsers' tables) but checked by the parsers in spec/,
 * whose errors name the exact field and reason.
 */
import { Type, type Static } from 'typebox';
import { DatasetSchema, InitFromSchema, ModelSchema, OptimizerSchema, TrainingSchema } from './request-schemas.ts';

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'machine-readable kind: invalid_request, not_found, conflict, payload_too_large, …' }),
  message: Type.String({ description: 'what is wrong, naming the field' }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const JobStatus = Type.Unsafe<'queued' | 'running' | 'succeeded' | 'failed' | 'canceled'>({
  type: 'string',
  enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'],
});

export const Progress = Type.Object({
  epoch: Type.Integer({ description: 'epochs finished or under way (1-based)' }),
  epochs: Type.Integer(),
  step: Type.Integer({ description: 'optimizer steps done by this job' }),
  totalSteps: Type.Integer(),
  loss: Nullable(Type.Number({ description: 'loss of the latest step' })),
  samplesPerSecond: Type.Number(),
});

export const JobRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    dataset: DatasetSchema,
    model: ModelSchema,
    optimizer: OptimizerSchema,
    training: TrainingSchema,
    initFrom: Type.Optional(InitFromSchema),
    notify: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL that gets a signed POST when the job ends' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const Job = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  status: JobStatus,
  progress: Progress,
  backend: Nullable(Type.String({ description: 'TensorFlow.js backend that ran the job' })),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  error: Type.Optional(Type.String({ description: 'why the job failed' })),
  attempts: Type.Integer({ description: 'times a worker started the job' }),
  checkpoint: Nullable(
    Type.Object(
      {
        step: Type.Integer({ description: 'global step of the last update it holds' }),
        epoch: Type.Integer({ description: 'the epoch it falls in' }),
        createdAt: Type.String({ format: 'date-time' }),
      },
      { description: 'the latest checkpoint of a running (or time-limited) job; a new attempt continues from it' },
    ),
  ),
  resumedFromStep: Type.Integer({ description: 'the step the current attempt continued from (its checkpoint); 0 for a fresh start' }),
  spec: Type.Object({}, { additionalProperties: true, description: 'the request with every default filled in' }),
});

export const JobIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const JobListQuery = Type.Object({
  status: Type.Optional(JobStatus),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const JobList = Type.Object({
  jobs: Type.Array(Job),
  nextCursor: Nullable(Type.String()),
});

/** PostgreSQL's integer: a larger number in a query fails in the database, so the schema refuses it first. */
export const PG_INT_MAX = 2147483647;

export const MetricsQuery = Type.Object({
  fromStep: Type.Integer({ minimum: 1, maximum: PG_INT_MAX, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  points: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 10000,
      description: 'the whole run in at most this many buckets (first/last step, min/max/mean/last loss, learning rate)',
    }),
  ),
  format: Type.Optional(
    Type.Unsafe<'json' | 'csv' | 'ndjson'>({
      type: 'string',
      enum: ['json', 'csv', 'ndjson'],
      description: 'csv or ndjson: every step, streamed',
    }),
  ),
});

const EpochMetrics = Type.Array(
  Type.Object({
    epoch: Type.Integer(),
    loss: Type.Number(),
    valLoss: Type.Optional(Nullable(Type.Number({ description: 'null when it was not finite (the model diverged)' }))),
    accuracy: Type.Optional(Type.Number()),
    valAccuracy: Type.Optional(Type.Number()),
  }),
);

export const Metrics = Type.Object({
  steps: Type.Array(Type.Object({ step: Type.Integer(), epoch: Type.Integer(), loss: Type.Number(), learningRate: Type.Number() })),
  epochs: EpochMetrics,
  nextFromStep: Nullable(
    Type.Integer({ description: 'fromStep of the next page; null once the job has finished and every step was returned' }),
  ),
});

/** `?points=N`: the whole run in at most N buckets (store/metric-buckets.ts), so the dashboard's types know it too. */
export const MetricBuckets = Type.Object({
  points: Type.Integer(),
  steps: Type.Integer({ description: 'steps recorded in all' }),
  buckets: Type.Array(
    Type.Object({
      firstStep: Type.Integer(),
      lastStep: Type.Integer(),
      steps: Type.Integer(),
      minLoss: Type.Number(),
      maxLoss: Type.Number(),
      meanLoss: Type.Number(),
      lastLoss: Type.Number({ description: "the loss of the bucket's last step" }),
      learningRate: Type.Number({ description: "the learning rate of the bucket's last step" }),
    }),
  ),
  epochs: EpochMetrics,
});

export const OptimizerState = Type.Object({
  format: Type.String(),
  optimizer: Type.Object({ name: Type.String(), config: Type.Object({}, { additionalProperties: true }) }),
  iterations: Type.Integer(),
  slots: Type.Array(
    Type.Object({
      weight: Type.String(),
      slot: Type.String(),
      shape: Type.Array(Type.Integer()),
      dtype: Type.String(),
      values: Type.Array(Type.Number()),
    }),
  ),
});

export type JobRequestBody = Static<typeof JobRequest>;
export type JobView = Static<typeof Job>;
