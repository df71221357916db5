/** /v1/models: TensorFlow.js models users upload to start jobs from (`initFrom: { modelId }`). */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireModel } from '../../models/find.ts';
import { storeModel } from '../../models/upload.ts';
import { checkStoredBytes } from '../../datasets/stored-bytes.ts';
import type { ApiContext } from '../context.ts';
import { documentedBody } from '../documented-body.ts';
import { MAX_MODEL_FILES, readModelUpload } from '../model-upload.ts';
import { ErrorBody } from '../schemas.ts';
import { modelUploadBody } from '../upload-bodies.ts';

const UploadedModel = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.Union([Type.String(), Type.Null()]),
  weights: Type.Array(Type.Object({ name: Type.String(), shape: Type.Array(Type.Integer()) })),
  parameters: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

type Row = { id: string; name: string | null; weightSpecs: unknown; createdAt: Date };
function view(row: Row) {
  const weights = (row.weightSpecs as Array<{ name: string; shape: number[] }>).map(({ name, shape }) => ({ name, shape }));
  const parameters = weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  return { id: row.id, name: row.name, weights, parameters, createdAt: row.createdAt.toISOString() };
}

export function modelRoutes({ db, config }: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(multipart, {
      limits: { fileSize: config.MAX_UPLOAD_BYTES, files: MAX_MODEL_FILES, fields: 4, parts: MAX_MODEL_FILES + 4, fieldSize: 1024 },
    });

    app.post(
      '/v1/models',
      {
        bodyLimit: config.MAX_UPLOAD_BYTES,
        // The body is read part by part (model-upload.ts): described in the document only.
        config: documentedBody(modelUploadBody(config)),
        schema: {
          summary: 'Upload a TensorFlow.js layers model (multipart: model.json and the weight files it names)',
          response: { 201: UploadedModel, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody },
        },
      },
      async (request, reply) => {
        await checkStoredBytes(db, config, request.principal.tenant, Number(request.headers['content-length']) || 0);
        const upload = await readModelUpload(request);
        const row = await storeModel(db, config, { tenant: request.principal.tenant, ...upload });
        return reply.status(201).header('location', `/v1/models/${row.id}`).send(view(row));
      },
    );

    app.get(
      '/v1/models/:id',
      {
        schema: {
          summary: 'An uploaded model: its weights and parameter count',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: { 200: UploadedModel, 404: ErrorBody },
        },
      },
      async (request) => view(await requireModel(db, request.principal.tenant, request.params.id)),
    );
  };
}
