/** The lookup every use case on one uploaded dataset starts with. */
import { NotFoundError } from '../errors.ts';
import { getDataset, type DatasetRow } from '../store/datasets.ts';
import type { Db } from '../store/db.ts';

/** The tenant's dataset, or a NotFoundError naming the id (another tenant's dataset reads exactly like no dataset). */
export async function requireDataset(db: Db, tenant: string, id: string): Promise<DatasetRow> {
  const row = await getDataset(db, tenant, id);
  if (!row) throw new NotFoundError('id', `no dataset ${id}`);
  return row;
}
