/**
 * The learning-rate range test as a resource: one job whose rate grows exponentially per step
 * (analysis/lr-range-test.ts), stored as a comparison of kind "lrFinder" with one variant, and
 * read back as loss against rate with a suggested rate.
 */
import { invalid } from '../errors.ts';
import { analyseRangeTest, RANGE_TEST_DEFAULTS, rangeTestSchedule, type RangeTestOptions } from '../analysis/lr-range-test.ts';
import { divergedAt, type ComparisonRow } from '../store/comparisons.ts';
import { getJob } from '../store/jobs.ts';
import { listSteps } from '../store/metrics.ts';
import type { Variant } from '../comparisons/request.ts';
import { createComparison, prepareVariant } from '../comparisons/create.ts';
import type { UseCaseContext } from '../use-case-context.ts';

export interface LrFinderBody {
  name?: string;
  base: Record<string, unknown>;
  optimizer?: Record<string, unknown>;
  minLearningRate?: number;
  maxLearningRate?: number;
  steps?: number;
  stopFactor?: number;
}

interface StoredConfig extends RangeTestOptions {
  optimizer: Record<string, unknown>;
}

/** The optimizer tested, its learning rate replaced by the range test's schedule. */
function optimizerOf(body: LrFinderBody, options: RangeTestOptions): Variant {
  const given = body.optimizer ?? (body.base.optimizer as Record<string, unknown> | undefined);
  if (!given) invalid('optimizer', 'is required (here or in base): the optimizer whose learning rate is tested');
  return { optimizer: { ...given, learningRate: rangeTestSchedule(options) }, path: body.optimizer ? 'optimizer' : 'base.optimizer' };
}

/** Epochs enough for `steps` steps: how many steps an epoch has depends on the data and batch size. */
async function epochsFor(ctx: UseCaseContext, tenant: string, body: LrFinderBody, variant: Variant, steps: number): Promise<number> {
  const probe: Record<string, unknown> = {
    ...body.base,
    training: { ...(body.base.training as object | undefined), epochs: 1 },
    optimizer: variant.optimizer,
  };
  const oneEpoch = await prepareVariant(ctx, tenant, probe, variant, 0);
  const perEpoch = (oneEpoch.progress as { totalSteps: number }).totalSteps;
  const epochs = Math.ceil(steps / perEpoch);
  if (epochs > ctx.config.MAX_EPOCHS)
    invalid('steps', `needs ${epochs} epochs of ${perEpoch} steps, more than MAX_EPOCHS (${ctx.config.MAX_EPOCHS})`);
  return epochs;
}

export async function createLrFinder(ctx: UseCaseContext, tenant: string, body: LrFinderBody): Promise<string> {
  const options: RangeTestOptions = {
    minLearningRate: body.minLearningRate ?? RANGE_TEST_DEFAULTS.minLearningRate,
    maxLearningRate: body.maxLearningRate ?? RANGE_TEST_DEFAULTS.maxLearningRate,
    steps: body.steps ?? RANGE_TEST_DEFAULTS.steps,
    stopFactor: body.stopFactor ?? RANGE_TEST_DEFAULTS.stopFactor,
  };
  if (!(options.maxLearningRate > options.minLearningRate)) {
    invalid('maxLearningRate', `must be above minLearningRate (${options.minLearningRate}), got ${options.maxLearningRate}`);
  }
  const variant = optimizerOf(body, options);
  const epochs = await epochsFor(ctx, tenant, body, variant, options.steps);
  const base = { ...body.base, training: { ...(body.base.training as object | undefined), epochs } };
  const config: StoredConfig = { ...options, optimizer: variant.optimizer };
  const made = await createComparison(ctx, tenant, 'lrFinder', { name: body.name, base, metric: 'finalLoss' }, [variant], config);
  return made.created.id;
}

export type LrFinderStatus = 'queued' | 'running' | 'completed' | 'failed' | 'canceled';

export async function lrFinderView(ctx: UseCaseContext, row: ComparisonRow) {
  const config = row.config as unknown as StoredConfig;
  const jobId = row.jobIds[0];
  const job = (await getJob(ctx.db, jobId))!;
  const steps = await listSteps(ctx.db, jobId, 1, config.steps);
  const finished = job.status !== 'queued' && job.status !== 'running';
  const result = analyseRangeTest(steps, config, await divergedAt(ctx.db, jobId), finished);
  // The test is over when the analysis found its end, even if the job runs on to the end of its epoch.
  const status: LrFinderStatus = result.stop
    ? 'completed'
    : job.status === 'failed' || job.status === 'canceled'
      ? job.status
      : job.status === 'succeeded'
        ? 'completed'
        : job.status;
  const { spec } = job;
  const view = {
    id: row.id,
    name: row.name,
    status,
    jobId,
    optimizer: spec.optimizer.name,
    minLearningRate: config.minLearningRate,
    maxLearningRate: config.maxLearningRate,
    steps: config.steps,
    stopFactor: config.stopFactor,
    points: result.points,
    stop: result.stop,
    suggestion: result.suggestion,
    createdAt: row.createdAt.toISOString(),
  };
  return status === 'failed' && job.error ? { ...view, error: job.error } : view;
}
