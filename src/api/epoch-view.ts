/** An epoch record as the API shows it: metrics an epoch does not have are left out, not null. */
import type { EpochRow } from '../store/metrics.ts';

export function epochView(row: EpochRow) {
  return {
    epoch: row.epoch,
    loss: row.loss,
    ...(row.valLoss != null ? { valLoss: row.valLoss } : {}),
    ...(row.accuracy != null ? { accuracy: row.accuracy } : {}),
    ...(row.valAccuracy != null ? { valAccuracy: row.valAccuracy } : {}),
  };
}
