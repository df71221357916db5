/**
 * Creating a comparison and showing it. Every variant is the same job (data, model, initial
 * weights, seed, shuffling) but for its optimizer: one seed is drawn for all of them when the
 * base names none. The rows are committed in one transaction, then queued; a variant that
 * diverges fails alone and the comparison still completes.
 */
import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError, DomainError, NotFoundError } from '../errors.ts';
import { enqueueTraining, redisReason } from '../queue.ts';
import {
  comparisonResults,
  deleteComparison,
  getComparison,
  insertComparison,
  type ComparisonKind,
  type ComparisonRow,
  type NewVariantJob,
  type ResultRow,
} from '../store/comparisons.ts';
import type { Db } from '../store/db.ts';
import type { JobStatus } from '../store/jobs.ts';
import { chooseMetric, variantField, variantLabel, type ComparisonBody, type Metric, type Variant } from './request.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { checkActiveJobs, insertingActiveJobs } from '../jobs/quotas.ts';
import { drawSeed, prepareJob, type PreparedJob } from '../jobs/submit.ts';

const NAMED: Record<ComparisonKind, string> = { comparison: 'comparison', lrFinder: 'learning-rate test' };

/** The tenant's comparison (or range test) `id`, or a NotFoundError naming it: another tenant's reads like none. */
export async function requireComparison(db: Db, tenant: string, kind: ComparisonKind, id: string): Promise<ComparisonRow> {
  const row = await getComparison(db, tenant, kind, id);
  if (!row) throw new NotFoundError('id', `no ${NAMED[kind]} ${id}`);
  return row;
}

/** Checks one variant's job like any job, naming the request's own fields in errors. */
export async function prepareVariant(
  ctx: UseCaseContext,
  tenant: string,
  body: Record<string, unknown>,
  variant: Variant,
  seed: number,
): Promise<PreparedJob> {
  try {
    return await prepareJob(ctx, tenant, body, () => seed);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    throw err.withField(variantField(err.field, variant));
  }
}

export interface Created {
  id: string;
  jobIds: string[];
}

/**
 * Checks every variant, stores the comparison and its jobs together, queues the jobs. When
 * Redis refuses them, everything is removed again (as a single job is) and the answer is null.
 */
export async function createComparison(
  ctx: UseCaseContext,
  tenant: string,
  kind: ComparisonKind,
  body: ComparisonBody,
  variants: Variant[],
  config: object,
): Promise<{ created: Created; metric: Metric }> {
  await checkActiveJobs(ctx.db, ctx.config, tenant, variants.length);
  const baseTraining = body.base.training as { seed?: unknown } | undefined;
  const seed = typeof baseTraining?.seed === 'number' ? baseTraining.seed : drawSeed();
  const jobs: NewVariantJob[] = [];
  for (const variant of variants) {
    const prepared = await prepareVariant(ctx, tenant, { ...body.base, optimizer: variant.optimizer }, variant, seed);
    const { spec } = prepared;
    jobs.push({ ...prepared, id: randomUUID(), name: `${body.name ?? kind}: ${variantLabel(spec.optimizer)}`.slice(0, 200) });
  }
  const metric = chooseMetric(body, jobs[0].spec.training.validationSplit);
  const id = randomUUID();
  const comparison = { id, tenant, name: body.name, kind, metric, target: body.target, config, jobs };
  const maxActive = ctx.config.TENANT_MAX_ACTIVE_JOBS;
  await insertingActiveJobs(ctx.config, jobs.length, () => insertComparison(ctx.db, comparison, maxActive));
  try {
    for (const job of jobs) await enqueueTraining(ctx.queue, job.id);
  } catch (err) {
    // Jobs already queued find no row and are dropped by the worker.
    await deleteComparison(
      ctx.db,
      id,
      jobs.map((j) => j.id),
    );
    throw new DependencyUnavailableError('redis', redisReason(ctx.redis), { cause: err });
  }
  return { created: { id, jobIds: jobs.map((j) => j.id) }, metric };
}

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
