/**
 * Storing an uploaded model, once the route has read and checked its files (api/model-upload.ts
 * parses the multipart body): it must fit the tenant's quota on stored bytes, then it is one row.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { checkStoredBytes } from '../datasets/stored-bytes.ts';
import type { Db } from '../store/db.ts';
import { insertUploadedModel, type NewUploadedModel } from '../store/models.ts';

export async function storeModel(db: Db, config: Config, upload: Omit<NewUploadedModel, 'id'>) {
  await checkStoredBytes(db, config, upload.tenant, upload.weightData.byteLength);
  return insertUploadedModel(db, { id: randomUUID(), ...upload });
}
