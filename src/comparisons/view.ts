/** A comparison as the API shows it: its status, its table of variants, and the best of them. */
import { comparisonResults, type ComparisonRow, type ResultRow } from '../store/comparisons.ts';
import type { JobStatus } from '../store/jobs.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { variantLabel, type Metric } from './request.ts';

export type ComparisonStatus = 'queued' | 'running' | 'completed' | 'canceled';

/** Queued while every job waits, running while any has not finished, then completed (or canceled, when asked). */
export function comparisonStatus(row: Pick<ComparisonRow, 'jobStatuses' | 'cancelRequested'>): ComparisonStatus {
  const open = (s: JobStatus) => s === 'queued' || s === 'running';
  if (row.jobStatuses.every((s) => s === 'queued')) return row.cancelRequested ? 'canceled' : 'queued';
  if (row.jobStatuses.some(open)) return 'running';
  return row.cancelRequested ? 'canceled' : 'completed';
}

/** Lower is better, except for accuracy. */
const HIGHER_IS_BETTER: Record<Metric, boolean> = {
  finalLoss: false,
  finalValLoss: false,
  bestValLoss: false,
  bestValAccuracy: true,
  stepToTarget: false,
};

/** A row of the table as the API shows it: the stored numbers, the optimizer named and labelled. */
export interface TableRow extends Omit<ResultRow, 'optimizer' | 'error'> {
  label: string;
  optimizer: string;
  learningRate: unknown;
  diverged: boolean;
  error?: string;
}

export function tableRow(r: ResultRow, label: string): TableRow {
  const row: TableRow = {
    variant: r.variant,
    jobId: r.jobId,
    label,
    optimizer: String(r.optimizer.name),
    learningRate: r.optimizer.learningRate,
    status: r.status,
    finalLoss: r.finalLoss,
    finalValLoss: r.finalValLoss,
    finalValAccuracy: r.finalValAccuracy,
    bestValLoss: r.bestValLoss,
    bestValAccuracy: r.bestValAccuracy,
    stepToTarget: r.stepToTarget,
    wallSeconds: r.wallSeconds,
    diverged: r.divergedAtStep !== null,
    divergedAtStep: r.divergedAtStep,
  };
  if (r.error) row.error = r.error;
  return row;
}

/** Labels in variant order, made unique (two variants may share optimizer and rate but not other options). */
export function labels(rows: ResultRow[]): string[] {
  const plain = rows.map((r) => variantLabel(r.optimizer as { name: string; learningRate: unknown }));
  return plain.map((l, i) => (plain.indexOf(l) !== plain.lastIndexOf(l) ? `${l} #${i + 1}` : l));
}

/** The best succeeded variant by the metric; none until one has a value. */
export function bestRow(
  rows: TableRow[],
  metric: Metric,
): { jobId: string; variant: number; label: string; metric: Metric; value: number } | null {
  let best: { row: TableRow; value: number } | null = null;
  for (const row of rows) {
    const value = row[metric];
    if (row.status !== 'succeeded' || value === null) continue;
    const better = best === null || (HIGHER_IS_BETTER[metric] ? value > best.value : value < best.value);
    if (better) best = { row, value };
  }
  return best && { jobId: best.row.jobId, variant: best.row.variant, label: best.row.label, metric, value: best.value };
}

export async function comparisonView(ctx: UseCaseContext, row: ComparisonRow) {
  const results = await comparisonResults(ctx.db, row.id, row.target);
  const names = labels(results);
  const rows = results.map((r, i) => tableRow(r, names[i]));
  return {
    id: row.id,
    name: row.name,
    status: comparisonStatus(row),
    metric: row.metric as Metric,
    target: row.target,
    createdAt: row.createdAt.toISOString(),
    jobs: row.jobIds,
    rows,
    best: bestRow(rows, row.metric as Metric),
  };
}
