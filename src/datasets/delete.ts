/** Deleting an uploaded dataset: DELETE /v1/datasets/:id, refused while a queued or running job uses it. */
import { ConflictError } from '../errors.ts';
import { activeJobsUsing, deleteDataset } from '../store/datasets.ts';
import type { Db } from '../store/db.ts';
import { requireDataset } from './find.ts';

export async function deleteUnusedDataset(db: Db, tenant: string, id: string): Promise<void> {
  const row = await requireDataset(db, tenant, id);
  const users = await activeJobsUsing(db, row.id);
  if (users.length > 0) {
    throw new ConflictError(
      'id',
      `dataset ${row.id} is used by ${users.map((j) => `${j.status} job ${j.id}`).join(', ')}; cancel or wait for them first`,
    );
  }
  await deleteDataset(db, row.id);
}
