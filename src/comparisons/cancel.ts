/** Canceling a comparison: POST /v1/comparisons/:id/cancel asks every unfinished job of it to stop. */
import { ConflictError } from '../errors.ts';
import { cancelJob, type Log } from '../jobs/cancel.ts';
import { getComparison, markCanceled, type ComparisonRow } from '../store/comparisons.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { requireComparison } from './find.ts';
import { comparisonStatus } from './view.ts';

/** A ConflictError once it has completed; a canceled one can be canceled again (its jobs are asked again). */
export async function cancelComparison(ctx: UseCaseContext, tenant: string, id: string, log: Log): Promise<ComparisonRow> {
  const before = await requireComparison(ctx.db, tenant, 'comparison', id);
  if (comparisonStatus(before) === 'completed') {
    throw new ConflictError('id', `comparison ${before.id} has already completed; there is nothing to cancel`);
  }
  await markCanceled(ctx.db, tenant, 'comparison', before.id);
  for (const jobId of before.jobIds) await cancelJob(ctx, jobId, log);
  return (await getComparison(ctx.db, tenant, 'comparison', before.id))!;
}
