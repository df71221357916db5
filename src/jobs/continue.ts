/**
 * Checks a job's `initFrom` against what it names: the job must have succeeded (or the
 * upload exist), its weights must fit the new model one by one, and its optimizer state must
 * come from the same optimizer. A job continued from another inherits its seed (unless one is
 * given) and numbers its epochs after the source's, so E1 then E2 epochs equals E1+E2.
 */
import { InvalidInputError, invalid } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getModelArtifacts } from '../store/artifacts.ts';
import { getTenantJob } from '../store/jobs.ts';
import { getUploadedModel } from '../store/models.ts';
import type { ParsedJob } from '../domain/job.ts';
import { checkWeightsFit } from '../domain/weights.ts';

type Manifest = Array<{ name: string; shape: number[] }>;

export async function resolveInitFrom(db: Db, tenant: string, parsed: ParsedJob): Promise<void> {
  const { spec } = parsed;
  const from = spec.initFrom;
  if (!from) return;
  if ('modelId' in from) {
    const upload = await getUploadedModel(db, tenant, from.modelId);
    if (!upload) throw new InvalidInputError('initFrom.modelId', `no uploaded model ${from.modelId}`);
    checkWeightsFit(parsed.weights, upload.weightSpecs as Manifest, spec.model, 'initFrom.modelId', `the uploaded model ${from.modelId}`);
    return;
  }
  const source = await getTenantJob(db, tenant, from.jobId);
  if (!source) invalid('initFrom.jobId', `no job ${from.jobId}`);
  if (source.status !== 'succeeded') {
    invalid('initFrom.jobId', `job ${from.jobId} is ${source.status}; a job can start only from a succeeded one`);
  }
  const sourceSpec = source.spec;
  const artifacts = await getModelArtifacts(db, from.jobId);
  if (!artifacts) invalid('initFrom.jobId', `job ${from.jobId} has no stored model`);
  checkWeightsFit(parsed.weights, artifacts.weightSpecs as Manifest, spec.model, 'initFrom.jobId', `job ${from.jobId}`);
  if (from.optimizerState && sourceSpec.optimizer.name !== spec.optimizer.name) {
    invalid(
      'initFrom.optimizerState',
      `job ${from.jobId} trained with ${sourceSpec.optimizer.name}, this job uses ${spec.optimizer.name}: its optimizer ` +
        `state does not apply (set optimizerState: false to start from its weights only)`,
    );
  }
  const sourceStart = sourceSpec.initFrom && 'jobId' in sourceSpec.initFrom ? sourceSpec.initFrom.startEpoch : 0;
  from.startEpoch = sourceStart + sourceSpec.training.epochs;
  if (!parsed.seedGiven) spec.training.seed = sourceSpec.training.seed;
}
