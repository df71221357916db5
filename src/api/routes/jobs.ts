/** /v1/jobs: submit, list, read and cancel training jobs. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidInputError } from '../../errors.ts';
import { listJobs } from '../../store/jobs.ts';
import { cancelTenantJob } from '../../jobs/cancel.ts';
import { requireJob } from '../../jobs/find.ts';
import { submitJob } from '../../jobs/submit.ts';
import type { ApiContext } from '../context.ts';
import { decodeCursor, encodeCursor, jobView } from '../job-view.ts';
import { ErrorBody, Job, JobIdParams, JobList, JobListQuery, JobRequest } from '../schemas.ts';

const IdempotencyHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'repeat a request safely: the same key returns the same job',
    },
  },
} as const;

export function jobRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { db } = ctx;

  return async (app) => {
    app.post(
      '/v1/jobs',
      {
        schema: {
          summary: 'Submit a training job',
          headers: IdempotencyHeaders,
          body: JobRequest,
          response: { 200: Job, 201: Job, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'] || undefined;
        const result = await submitJob(ctx, request.principal.tenant, request.body, { idempotencyKey: key });
        if (result.kind === 'replayed') return reply.status(200).header('idempotent-replayed', 'true').send(jobView(result.job));
        const { job } = result;
        return reply.status(201).header('location', `/v1/jobs/${job.id}`).send(jobView(job));
      },
    );

    app.get(
      '/v1/jobs',
      {
        schema: { summary: 'List jobs, newest first', querystring: JobListQuery, response: { 200: JobList, 400: ErrorBody } },
      },
      async (request) => {
        const { status, limit, cursor } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (after === null) throw new InvalidInputError('cursor', 'is not a cursor this API returned');
        const page = await listJobs(db, request.principal.tenant, { status, limit, after });
        return { jobs: page.jobs.map(jobView), nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    );

    app.get(
      '/v1/jobs/:id',
      {
        schema: { summary: 'A job: status, progress, backend, error', params: JobIdParams, response: { 200: Job, 404: ErrorBody } },
      },
      async (request) => jobView(await requireJob(db, request.principal.tenant, request.params.id)),
    );

    app.post(
      '/v1/jobs/:id/cancel',
      {
        schema: {
          summary: 'Cancel a job: a queued one never starts, a running one stops within one step',
          params: JobIdParams,
          response: { 200: Job, 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request) => jobView(await cancelTenantJob(ctx, request.principal.tenant, request.params.id, request.log)),
    );
  };
}
