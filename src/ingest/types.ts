import type { LabelOutcome } from './labels.ts';

/** What an upload turned into. */
export interface Ingested {
  rows: number;
  featureShape: number[];
  labels: LabelOutcome;
  /** Numbers per target row (regression with number[][] labels); 1 otherwise. */
  targetDims: number;
  labelColumn?: string;
}
