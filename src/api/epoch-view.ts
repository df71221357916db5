/**
 * An epoch record as the API shows it: metrics an epoch does not have (no validation split, no
 * accuracy) are left out. A validation loss that overflowed (a diverging model; JSON has no
 * Infinity or NaN) is null.
 */
import type { EpochRow } from '../store/metrics.ts';

export function epochView(row: EpochRow) {
  return {
    epoch: row.epoch,
    loss: row.loss,
    ...(row.valLoss != null ? { valLoss: Number.isFinite(row.valLoss) ? row.valLoss : null } : {}),
    ...(row.accuracy != null ? { accuracy: row.accuracy } : {}),
    ...(row.valAccuracy != null ? { valAccuracy: row.valAccuracy } : {}),
  };
}
