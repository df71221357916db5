/**
 * Storing an uploaded dataset, once the route (api/routes/datasets.ts) has admitted the request
 * and found its body: a pending row, the slices written while the body is parsed (ingest/), the
 * real size checked against the tenant's quota, the row finished. A bad row refuses the whole
 * upload and nothing of it stays.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { ingestCsv } from '../ingest/csv.ts';
import { ingestJson } from '../ingest/json.ts';
import type { Task } from '../ingest/labels.ts';
import { beginDataset, chunkWriter, deleteDataset, finishDataset, type DatasetRow } from '../store/datasets.ts';
import type { Db } from '../store/db.ts';
import { checkStoredBytes } from './stored-bytes.ts';

export interface UploadStores {
  db: Db;
  config: Config;
  /** Slices are written through connections of their own (store/db.ts createPool), each held for one statement. */
  pool: pg.Pool;
}

export interface UploadRequest {
  tenant: string;
  /** The new dataset's id, chosen by the caller so that it can track the pending row. */
  id: string;
  name?: string;
  /** CSV: the column holding the labels. */
  label?: string;
  task: Task;
}

/** The body, as the HTTP side hands it over. */
export interface UploadSource {
  format: 'csv' | 'json';
  /** The data, counting its bytes as they are read (and failing the read past the size limit). */
  body: Readable & { bytes: number };
  /** Throws when the request holds more than the data (a multipart body's further parts). */
  checkEnd(): Promise<void>;
  /** The upload failed: stop parsing, read the rest of the body and drop it. */
  abandon(): void;
}

/**
 * Stores the upload as dataset `request.id`. On any failure the pending row (with its slices) is
 * deleted; when even that fails (the database is down), `leftBehind` is told, to delete it later.
 */
export async function storeUpload(
  { db, config, pool }: UploadStores,
  request: UploadRequest,
  source: UploadSource,
  leftBehind: (err: unknown) => void,
): Promise<DatasetRow> {
  const { tenant, id, name, label, task } = request;
  try {
    await beginDataset(db, tenant, id, name);
    const ingestLimits = { task, maxFeatures: config.MAX_FEATURES };
    const sink = chunkWriter(pool, id);
    const ingested =
      source.format === 'csv'
        ? await ingestCsv(source.body, { label, ...ingestLimits }, sink)
        : await ingestJson(source.body, ingestLimits, sink);
    await checkStoredBytes(db, config, tenant, source.body.bytes); // this row counts 0 bytes until finished
    await source.checkEnd();
    return await finishDataset(db, id, {
      rows: ingested.rows,
      featureShape: ingested.featureShape,
      labelKind: ingested.labels.kind,
      classes: ingested.labels.kind === 'classes' ? ingested.labels.classes : null,
      targetDims: ingested.targetDims,
      labelColumn: ingested.labelColumn,
      bytes: source.body.bytes,
    });
  } catch (err) {
    source.abandon();
    // Refused whole: no slice of it stays. The database down, the caller's registry removes it later.
    await deleteDataset(db, id).catch(leftBehind);
    throw err;
  }
}
