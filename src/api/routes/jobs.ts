/** /v1/jobs: submit, list, read and cancel training jobs. */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidInputError } from '../../errors.ts';
import { enqueueTraining, cancelChannel } from '../../queue/queue.ts';
import { deleteJob, findJobByIdempotencyKey, insertJob, listJobs, requestCancel, type JobRow } from '../../store/jobs.ts';
import { MAX_SEED, parseJobSpec } from '../../training/spec/job.ts';
import { checkActiveJobs } from '../auth/quotas.ts';
import type { ApiContext } from '../context.ts';
import { prefetchUploaded } from '../dataset-info.ts';
import { resolveInitFrom } from '../init-from.ts';
import { decodeCursor, encodeCursor, jobView, requireJob } from '../job-view.ts';
import { ErrorBody, Job, JobIdParams, JobList, JobListQuery, JobRequest } from '../schemas.ts';

/** JSON with object keys sorted: the same request hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const IdempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200, description: 'repeat a request safely: the same key returns the same job' } },
} as const;

export function jobRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { db, queue, redis, config } = ctx;
  const limits = { maxEpochs: config.MAX_EPOCHS, maxBatchSize: config.MAX_BATCH_SIZE, maxParameters: config.MAX_PARAMETERS };

  return async (app) => {
    app.post('/v1/jobs', {
      schema: {
        summary: 'Submit a training job',
        headers: IdempotencyHeaders,
        body: JobRequest,
        response: { 200: Job, 201: Job, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 503: ErrorBody },
      },
    }, async (request, reply) => {
      const key = (request.headers['idempotency-key'] as string | undefined) || undefined;
      const requestHash = createHash('sha256').update(canonicalJson(request.body)).digest('hex');
      if (key) {
        const existing = await findJobByIdempotencyKey(db, request.principal.tenant, key);
        if (existing) {
          const view = replayed(existing, requestHash);
          return reply.status(200).header('idempotent-replayed', 'true').send(view);
        }
      }
      await checkActiveJobs(db, config, request.principal.tenant);
      const uploaded = await prefetchUploaded(db, request.principal.tenant, request.body);
      const parsed = parseJobSpec(request.body, limits, () => randomInt(0, MAX_SEED), (id) => uploaded.get(id));
      await resolveInitFrom(db, request.principal.tenant, parsed);
      const { spec, plan } = parsed;
      const progress = { epoch: 0, epochs: spec.training.epochs, step: 0, totalSteps: plan.totalSteps, loss: null, samplesPerSecond: 0 };
      const { job, created } = await insertJob(db, {
        id: randomUUID(), tenant: request.principal.tenant, name: request.body.name, spec, progress, idempotencyKey: key, requestHash: key ? requestHash : undefined,
      });
      if (!created) {
        const view = replayed(job, requestHash);
        return reply.status(200).header('idempotent-replayed', 'true').send(view);
      }
      try {
        await enqueueTraining(queue, job.id);
      } catch (err) {
        // Not queued means not accepted: remove the row so a retry with the same key starts afresh.
        await deleteJob(db, job.id);
        request.log.error({ err }, 'queueing a job failed');
        return reply.status(503).send({ error: 'unavailable', message: 'the job queue (Redis) is unavailable; try again' });
      }
      return reply.status(201).header('location', `/v1/jobs/${job.id}`).send(jobView(job));
    });

    /** The job an idempotency key already names, if the request is the same one. */
    function replayed(existing: JobRow, requestHash: string) {
      if (existing.requestHash !== requestHash) {
        throw new InvalidInputError('Idempotency-Key', `was already used for job ${existing.id} with a different request body`, 409);
      }
      return jobView(existing);
    }

    app.get('/v1/jobs', {
      schema: { summary: 'List jobs, newest first', querystring: JobListQuery, response: { 200: JobList, 400: ErrorBody } },
    }, async (request) => {
      const { status, limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after === null) throw new InvalidInputError('cursor', 'is not a cursor this API returned');
      const page = await listJobs(db, request.principal.tenant, { status, limit, after });
      return { jobs: page.jobs.map(jobView), nextCursor: page.next ? encodeCursor(page.next) : null };
    });

    app.get('/v1/jobs/:id', {
      schema: { summary: 'A job: status, progress, backend, error', params: JobIdParams, response: { 200: Job, 404: ErrorBody } },
    }, async (request) => jobView(await requireJob(db, request.principal.tenant, request.params.id)));

    app.post('/v1/jobs/:id/cancel', {
      schema: {
        summary: 'Cancel a job: a queued one never starts, a running one stops within one step',
        params: JobIdParams, response: { 200: Job, 404: ErrorBody, 409: ErrorBody },
      },
    }, async (request) => {
      const before = await requireJob(db, request.principal.tenant, request.params.id);
      if (before.status === 'succeeded' || before.status === 'failed') {
        throw new InvalidInputError('id', `job ${before.id} has already ${before.status}; there is nothing to cancel`, 409);
      }
      const job = (await requestCancel(db, before.id))!;
      if (job.status === 'canceled') {
        await queue.remove(job.id).catch(() => 0); // a worker holding it sees the status and skips it
      } else {
        // The database flag is set: workers also see it when they next save progress, so a
        // failed announcement only delays the stop.
        await redis.publish(cancelChannel(config), job.id).catch((err) => request.log.warn({ err }, 'announcing a cancel failed'));
      }
      return jobView(job);
    });
  };
}
