/** The lookup every use case on one uploaded model starts with. */
import { NotFoundError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getUploadedModel } from '../store/models.ts';

/** The tenant's model (without its weight bytes), or a NotFoundError naming the id: another tenant's reads like none. */
export async function requireModel(db: Db, tenant: string, id: string) {
  const row = await getUploadedModel(db, tenant, id);
  if (!row) throw new NotFoundError('id', `no uploaded model ${id}`);
  return row;
}
