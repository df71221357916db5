/** What a job produced: per-step and per-epoch metrics, the trained model, the optimizer state. */
import { epochView } from '../epoch-view.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ConflictError } from '../../errors.ts';
import { getModelArtifacts, getOptimizerState, getWeightData } from '../../store/artifacts.ts';
import { decodeOptimizerState, optimizerStateJson } from '../../domain/optimizer-state.ts';
import { listEpochs, listSteps } from '../../store/metrics.ts';
import type { ApiContext } from '../context.ts';
import { requireJob } from '../../jobs/find.ts';
import { isMetricsVariant, sendMetricsVariant } from '../metrics-export.ts';
import { ErrorBody, JobIdParams, MetricBuckets, Metrics, MetricsQuery, OptimizerState } from '../schemas.ts';

/** The file model.json names for the weights, relative to itself. */
const WEIGHTS_FILE = 'weights.bin';

const ModelJson = Type.Object({
  format: Type.String(),
  generatedBy: Type.String(),
  convertedBy: Type.Null(),
  modelTopology: Type.Unknown(),
  weightsManifest: Type.Unknown(),
});

export function resultRoutes({ db }: ApiContext): FastifyPluginAsyncTypebox {
  async function requireSucceeded(tenant: string, id: string) {
    const job = await requireJob(db, tenant, id);
    if (job.status !== 'succeeded') {
      throw new ConflictError('id', `job ${id} is ${job.status}; the model and optimizer state exist once it has succeeded`);
    }
  }

  return async (app) => {
    app.get(
      '/v1/jobs/:id/metrics',
      {
        schema: {
          summary: 'Loss and learning rate of every step (paged), and per-epoch metrics',
          params: JobIdParams,
          querystring: MetricsQuery,
          response: { 200: Type.Union([Metrics, MetricBuckets]), 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const job = await requireJob(db, request.principal.tenant, request.params.id);
        if (isMetricsVariant(request.query)) return sendMetricsVariant(db, job, request.query, reply);
        const { fromStep, limit } = request.query;
        const [steps, epochs] = await Promise.all([listSteps(db, job.id, fromStep, limit), listEpochs(db, job.id)]);
        const next = steps.length > 0 ? steps[steps.length - 1].step + 1 : fromStep;
        const finished = job.status !== 'queued' && job.status !== 'running';
        return { steps, epochs: epochs.map(epochView), nextFromStep: finished && steps.length < limit ? null : next };
      },
    );

    app.get(
      '/v1/jobs/:id/model/model.json',
      {
        schema: {
          summary: 'The trained model as a TensorFlow.js layers model: tf.loadLayersModel(this URL)',
          params: JobIdParams,
          response: { 200: ModelJson, 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request) => {
        await requireSucceeded(request.principal.tenant, request.params.id);
        const artifacts = (await getModelArtifacts(db, request.params.id))!;
        return {
          format: 'layers-model',
          generatedBy: 'tfjs-trainer',
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
        };
      },
    );

    app.get(
      `/v1/jobs/:id/model/${WEIGHTS_FILE}`,
      {
        schema: {
          summary: 'The weights named by model.json (float32, little-endian)',
          params: JobIdParams,
          response: { 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        await requireSucceeded(request.principal.tenant, request.params.id);
        const { weightData } = (await getWeightData(db, request.params.id))!;
        // Raw bytes: no response schema applies, so the reply is typed loosely here.
        return (reply as FastifyReply).type('application/octet-stream').send(Buffer.from(weightData));
      },
    );

    app.get(
      '/v1/jobs/:id/optimizer-state',
      {
        schema: {
          summary: 'The final optimizer state: name, config, iterations and every slot tensor',
          params: JobIdParams,
          response: { 200: OptimizerState, 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        await requireSucceeded(request.principal.tenant, request.params.id);
        const stored = (await getOptimizerState(db, request.params.id))!;
        // Written straight to text: a state can be millions of numbers, too many to validate again.
        const text = optimizerStateJson(decodeOptimizerState(stored.optimizerState, stored.optimizerSlotData));
        return (reply as FastifyReply).type('application/json; charset=utf-8').send(text);
      },
    );
  };
}
