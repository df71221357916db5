/**
 * Creating a comparison (shown by view.ts). Every variant is the same job (data, model, initial
 * weights, seed, shuffling) but for its optimizer: one seed is drawn for all of them when the
 * base names none. The rows are committed in one transaction, then queued; a variant that
 * diverges fails alone and the comparison still completes.
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '../errors.ts';
import { admitJobs } from '../jobs/admit.ts';
import { checkActiveJobs } from '../jobs/quotas.ts';
import { drawSeed, prepareJob, type PreparedJob } from '../jobs/submit.ts';
import { insertComparison, deleteComparison, type ComparisonKind, type NewVariantJob } from '../store/comparisons.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { chooseMetric, variantField, variantLabel, type ComparisonBody, type Metric, type Variant } from './request.ts';

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
 * Redis refuses them, everything is removed again, as a single job is (jobs/admit.ts).
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
  const jobIds = jobs.map((j) => j.id);
  await admitJobs(ctx, {
    adding: jobs.length,
    insert: () => insertComparison(ctx.db, comparison, ctx.config.TENANT_MAX_ACTIVE_JOBS),
    queued: () => jobIds,
    remove: () => deleteComparison(ctx.db, id, jobIds),
  });
  return { created: { id, jobIds: jobs.map((j) => j.id) }, metric };
}
