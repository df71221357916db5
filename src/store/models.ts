/** Models users uploaded to start jobs from. */
import type { Db } from './db.ts';

export interface NewUploadedModel {
  id: string;
  /** Whose model it is: the tenant of the key that uploaded it. */
  tenant: string;
  name?: string;
  modelTopology: object;
  weightSpecs: object[];
  weightData: Uint8Array<ArrayBuffer>;
}

const SUMMARY = { id: true, name: true, weightSpecs: true, createdAt: true } as const;

export function insertUploadedModel(db: Db, model: NewUploadedModel) {
  return db.uploadedModel.create({
    data: {
      ...model,
      modelTopology: model.modelTopology,
      weightSpecs: model.weightSpecs,
    },
    select: SUMMARY,
  });
}

/** Everything but the weight bytes, of a tenant's model (another tenant's answers like none). */
export function getUploadedModel(db: Db, tenant: string, id: string) {
  return db.uploadedModel.findFirst({ where: { id, tenant }, select: SUMMARY });
}

export function getUploadedWeights(db: Db, id: string) {
  return db.uploadedModel.findUnique({ where: { id }, select: { weightSpecs: true, weightData: true } });
}
