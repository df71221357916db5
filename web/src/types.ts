/** The shapes of the API's answers that the dashboard reads (see README.md). */
export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSecond: number;
}

export interface Job {
  id: string;
  name: string | null;
  status: string;
  progress: Progress;
  backend: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  error?: string;
  spec: Record<string, unknown> & { optimizer: { name: string } };
}

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
}

export interface EpochRecord {
  epoch: number;
  loss?: number;
  valLoss?: number;
  accuracy?: number;
  valAccuracy?: number;
}

export interface Bucket {
  firstStep: number;
  lastStep: number;
  steps: number;
  meanLoss: number;
  lastLoss: number;
  learningRate: number;
}

export interface BucketedMetrics {
  points: number;
  steps: number;
  buckets: Bucket[];
  epochs: EpochRecord[];
}

export interface ComparisonRow {
  variant: number;
  jobId: string;
  label: string;
  optimizer: string;
  learningRate: number | null;
  status: string;
  finalLoss: number | null;
  finalValLoss: number | null;
  finalValAccuracy: number | null;
  bestValLoss: number | null;
  bestValAccuracy: number | null;
  stepToTarget: number | null;
  wallSeconds: number | null;
  diverged: boolean;
  divergedAtStep: number | null;
  error?: string;
}

export interface Comparison {
  id: string;
  name: string | null;
  status: string;
  metric: string;
  target: number | null;
  jobs: string[];
  createdAt: string;
  rows?: ComparisonRow[];
  best?: { jobId: string; variant: number; label: string; metric: string; value: number } | null;
}

export interface Dataset {
  id: string;
  name: string | null;
  rows: number;
  featureShape: number[];
  labelKind: string;
  classes?: string[] | null;
  targetDims?: number;
  labelColumn?: string | null;
  bytes?: number;
  createdAt: string;
}

export const FINISHED = new Set(['succeeded', 'failed', 'canceled']);
