/** An uploaded dataset's row as the shape the job checks need. */
import type { DatasetRow } from '../store/datasets.ts';
import { getDataset } from '../store/datasets.ts';
import type { Db } from '../store/db.ts';
import type { DatasetInfo } from '../domain/dataset-types.ts';
import { UUID } from '../domain/job.ts';

export function datasetInfoOf(row: DatasetRow): DatasetInfo {
  const target: DatasetInfo['target'] =
    row.labelKind === 'classes'
      ? { kind: 'classes', classes: (row.classes ?? []).length, classNames: (row.classes ?? []).map((c) => c.name) }
      : { kind: 'regression', dims: row.targetDims };
  return { count: row.rows, featureShape: row.featureShape, target };
}

/** The uploaded dataset a job body names (`dataset: { id }`), read ahead so the spec check can stay synchronous. */
export async function prefetchUploaded(db: Db, tenant: string, body: { dataset?: unknown }): Promise<Map<string, DatasetInfo>> {
  const found = new Map<string, DatasetInfo>();
  const id = (body.dataset as { id?: unknown } | undefined)?.id;
  if (typeof id === 'string' && UUID.test(id)) {
    const row = await getDataset(db, tenant, id);
    if (row) found.set(id, datasetInfoOf(row));
  }
  return found;
}
