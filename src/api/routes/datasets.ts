/**
 * /v1/datasets: users' own data. The body (CSV, JSON, or a multipart `file`) is parsed while
 * it arrives and stored in slices; a bad row refuses the whole upload and nothing stays.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { InvalidInputError, RequestTimeoutError, ShuttingDownError, TooLargeError, UnsupportedFormatError } from '../../errors.ts';
import { deleteUnusedDataset } from '../../datasets/delete.ts';
import { requireDataset } from '../../datasets/find.ts';
import { storeUpload, type UploadSource } from '../../datasets/upload.ts';
import { listDatasets, type DatasetRow } from '../../store/datasets.ts';
import { createPool } from '../../store/db.ts';
import { checkText } from '../../ingest/values.ts';
import { checkStoredBytes } from '../../datasets/stored-bytes.ts';
import type { ApiContext } from '../context.ts';
import { documentedBody } from '../documented-body.ts';
import { multipartError } from '../multipart-errors.ts';
import { ErrorBody } from '../schemas.ts';
import { datasetUploadBody } from '../upload-bodies.ts';
import { byteLimit, forwardFailures, within } from '../uploads/body.ts';
import { watchBody } from '../uploads/body-watch.ts';
import { UploadRegistry, type UploadLease } from '../uploads/registry.ts';

const Dataset = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.Union([Type.String(), Type.Null()]),
  rows: Type.Integer(),
  featureShape: Type.Array(Type.Integer()),
  labelKind: Type.Unsafe<'classes' | 'regression'>({ type: 'string', enum: ['classes', 'regression'] }),
  classes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "class names; a name's position is its class index" }),
  targetDims: Type.Integer(),
  labelColumn: Type.Union([Type.String(), Type.Null()]),
  bytes: Type.Integer({ description: 'size of the upload' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const UploadQuery = Type.Object({
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'CSV: the column holding the labels' })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  task: Type.Unsafe<'auto' | 'classification' | 'regression'>({
    type: 'string',
    enum: ['auto', 'classification', 'regression'],
    default: 'auto',
    description: 'auto: text labels and up to 100 distinct integers are classes, other numbers regression',
  }),
});
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
type UploadRequest = FastifyRequest<{ Querystring: Static<typeof UploadQuery> }>;
interface OpenedBody {
  stream: Readable;
  format: 'csv' | 'json';
  parts?: AsyncIterableIterator<unknown>;
}

function view(row: DatasetRow): Static<typeof Dataset> {
  return {
    id: row.id,
    name: row.name,
    rows: row.rows,
    featureShape: row.featureShape,
    labelKind: row.labelKind as 'classes' | 'regression',
    classes: row.classes ? row.classes.map((c) => c.name) : null,
    targetDims: row.targetDims,
    labelColumn: row.labelColumn,
    bytes: Number(row.bytes),
    createdAt: row.createdAt.toISOString(),
  };
}

export function datasetRoutes({ db, config }: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // In this plugin, bodies reach the handler as streams: CSV is parsed while it arrives.
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser(['text/csv', 'application/json', 'text/plain'], (_request, payload, done) => done(null, payload));
    await app.register(multipart, { limits: { fileSize: config.MAX_DATASET_BYTES, files: 1, fields: 0, parts: 1 } });

    // Slices are written through a few connections of their own, each held for one statement.
    const pool = createPool(config.DATABASE_URL, config.UPLOAD_DB_CONNECTIONS, (err) =>
      app.log.warn({ err }, 'an idle upload connection to PostgreSQL failed; it is replaced'),
    );
    const uploads = new UploadRegistry(db, config, app.log);
    app.addHook('onReady', async () => uploads.start());
    // Before the server waits for its connections to end: the uploads under way end now (503) and remove their rows.
    app.addHook('preClose', () => uploads.close());
    app.addHook('onClose', () => pool.end());

    /** The data of the request: a multipart body's `file` part (the rest of its parts kept to check), or the body itself. */
    async function openBody(request: UploadRequest, lease: UploadLease): Promise<OpenedBody> {
      // Multipart: read as parts, so a part after the file is seen (and refused) rather than dropped.
      if (request.isMultipart()) {
        const parts = request.parts();
        const next = parts.next().catch((err: unknown) => {
          throw multipartError(err);
        });
        const first = await within(next, config.UPLOAD_IDLE_TIMEOUT_MS, lease.signal);
        const file = first.value as Awaited<ReturnType<typeof request.file>>;
        if (!file) throw new InvalidInputError('file', 'is missing: send the data as a multipart field named file');
        const format = file.mimetype === 'application/json' || file.filename.endsWith('.json') ? 'json' : 'csv';
        return { stream: file.file, format, parts };
      }
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim();
      if (!['text/csv', 'application/json', 'text/plain'].includes(type)) {
        throw new UnsupportedFormatError(
          'content-type',
          `must be text/csv, application/json or multipart/form-data, got ${type || 'none'}`,
        );
      }
      return { stream: request.body as Readable, format: type === 'application/json' ? 'json' : 'csv' };
    }

    /** The upload itself, once admitted: parsed while it arrives, its slices stored, or nothing of it kept. */
    async function receive(request: UploadRequest, reply: FastifyReply, lease: UploadLease) {
      const { label, name, task } = request.query;
      await checkStoredBytes(db, config, request.principal.tenant, Number(request.headers['content-length']) || 0);
      const { stream, format, parts } = await openBody(request, lease);
      const counted = byteLimit(config.MAX_DATASET_BYTES);
      stream.pipe(counted); // counted's error (the limit) reaches the parser that reads it
      forwardFailures(stream, counted);
      // Refusing early, the rest of the body is read and dropped: the client gets a clean answer
      // instead of a connection torn down under it.
      const drain = () => {
        stream.unpipe(counted);
        stream.resume();
      };
      counted.on('error', drain);
      let answered = false;
      const limits = { windowMs: config.UPLOAD_IDLE_TIMEOUT_MS, minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_SECOND };
      watchBody(stream, limits, (err) => {
        // Still parsing: the upload fails with it. Answered already (the rest of a refused body is
        // being read and dropped), the connection goes.
        if (answered) request.raw.destroy();
        else counted.destroy(err);
      });
      const stop = () => counted.destroy(lease.signal.reason as Error);
      if (lease.signal.aborted) stop();
      else lease.signal.addEventListener('abort', stop, { once: true });
      const id = randomUUID();
      lease.track(id);
      const tenant = request.principal.tenant;
      const source: UploadSource = {
        format,
        body: counted,
        async checkEnd() {
          if (!parts) return;
          const next = await parts.next().catch((err: unknown) => {
            throw multipartError(err);
          });
          if (!next.done) throw new InvalidInputError('body', 'more parts than this upload takes: send one file field');
        },
        abandon: drain,
      };
      const leftBehind = (cleanupErr: unknown) => {
        lease.leaveBehind(id);
        request.log.warn(
          { err: cleanupErr, datasetId: id },
          'could not remove a failed upload yet; it is removed once the database answers',
        );
      };
      try {
        const row = await storeUpload({ db, config, pool }, { tenant, id, name, label, task }, source, leftBehind);
        return reply.status(201).header('location', `/v1/datasets/${id}`).send(view(row));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE')
          throw new TooLargeError('file', `larger than the dataset limit of ${config.MAX_DATASET_BYTES} bytes`);
        throw err;
      } finally {
        answered = true;
        lease.signal.removeEventListener('abort', stop);
      }
    }

    app.post(
      '/v1/datasets',
      {
        // The body is a stream, parsed while it arrives: described in the document only, never validated by Fastify.
        config: documentedBody(datasetUploadBody(config)),
        schema: {
          summary: 'Upload a dataset: CSV with a header (?label=COLUMN) or JSON { x, y }, as the body or a multipart file field',
          querystring: UploadQuery,
          response: {
            201: Dataset,
            400: ErrorBody,
            408: ErrorBody,
            413: ErrorBody,
            415: ErrorBody,
            429: ErrorBody,
            503: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const { label, name } = request.query;
        if (name !== undefined) checkText(name, 'name');
        if (label !== undefined) checkText(label, 'label');
        let lease: UploadLease;
        try {
          lease = uploads.admit(request.principal.tenant);
        } catch (err) {
          // Its body is left unread: a client refused at the door does not keep its connection either.
          reply.header('connection', 'close');
          throw err;
        }
        try {
          return await receive(request, reply, lease);
        } catch (err) {
          // A client cut off for being slow, or an upload stopped by a shutdown: the rest of its body is not waited for.
          if (err instanceof RequestTimeoutError || err instanceof ShuttingDownError) reply.header('connection', 'close');
          throw err;
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/v1/datasets',
      {
        schema: {
          summary: 'Uploaded datasets, newest first',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }) }),
          response: { 200: Type.Object({ datasets: Type.Array(Dataset) }) },
        },
      },
      async (request) => ({ datasets: (await listDatasets(db, request.principal.tenant, request.query.limit)).map(view) }),
    );

    app.get(
      '/v1/datasets/:id',
      {
        schema: { summary: 'An uploaded dataset', params: IdParams, response: { 200: Dataset, 404: ErrorBody } },
      },
      async (request) => view(await requireDataset(db, request.principal.tenant, request.params.id)),
    );

    app.delete(
      '/v1/datasets/:id',
      {
        schema: {
          summary: 'Delete a dataset no queued or running job uses',
          params: IdParams,
          response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        await deleteUnusedDataset(db, request.principal.tenant, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
