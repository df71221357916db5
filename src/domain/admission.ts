/**
 * Admission control: jobs refused at submit because they could never finish well — one that
 * would take weeks of steps, or more memory than a training process may use (it would fail in
 * its child after queueing, or take the machine). Pure, so the API answers 400 before queueing.
 */
import { invalid } from '../errors.ts';
import type { OptimizerSpec } from './optimizer.ts';
import { EVAL_ROWS, estimateJobMemory, formatBytes, type MemoryEstimate } from './memory.ts';
import type { ModelSpec, ModelSummary } from './model.ts';

export interface AdmissionLimits {
  /** Most optimizer steps one job may take (epochs × batches per epoch); absent = no limit. */
  maxSteps?: number;
  /** Largest estimated peak memory of one job, bytes (see memory.ts); absent = no limit. */
  maxJobMemoryBytes?: number;
}

interface Planned {
  trainCount: number;
  validationCount: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export function checkSteps(plan: Planned, training: { epochs: number; batchSize: number }, maxSteps: number | undefined): void {
  if (maxSteps === undefined || plan.totalSteps <= maxSteps) return;
  const { epochs, batchSize } = training;
  invalid(
    'training.epochs',
    `${epochs} epochs of ${plan.stepsPerEpoch} steps each (${plan.trainCount} training examples in batches of ${batchSize}) ` +
      `make ${plan.totalSteps} optimizer steps, over the limit of ${maxSteps} per job; use fewer epochs or a larger training.batchSize`,
    { steps: plan.totalSteps, maxSteps },
  );
}

export function checkMemory(
  model: ModelSpec,
  summary: ModelSummary,
  optimizer: OptimizerSpec,
  job: { inputShape: number[]; batchSize: number; validationCount: number },
  limit: number | undefined,
): MemoryEstimate {
  const estimate = estimateJobMemory(model, summary, optimizer, job);
  if (limit === undefined || estimate.bytes <= limit) return estimate;
  const { parts, largest } = estimate;
  const details = {
    estimatedBytes: estimate.bytes,
    limitBytes: limit,
    parts,
    evaluationBytes: estimate.evaluation,
    largestLayer: largest.index,
  };
  const over =
    `training this job would take about ${formatBytes(estimate.bytes)} of memory, over the limit of ` + `${formatBytes(limit)} per job`;
  const at = `model.layers[${largest.index}]`;
  const output = `this ${largest.type} layer's output, [${largest.shape}] values per example`;
  if (estimate.evaluation > estimate.training) {
    const rows = Math.min(EVAL_ROWS, job.validationCount);
    invalid(
      at,
      `${over}: most of it is ${output}, while evaluating the held-out examples ${rows} at a time; ` +
        'use a smaller training.validationSplit or make this layer smaller',
      details,
    );
  }
  const weights = parts.weights + parts.gradients + parts.slots;
  if (weights > parts.activations + parts.activationGradients + parts.input) {
    invalid(
      'model.layers',
      `${over}: most of it is the ${summary.parameters} parameters, with their gradients and ` +
        `the ${optimizer.name} optimizer's state (${formatBytes(weights)}); use fewer or smaller layers`,
      details,
    );
  }
  invalid(
    at,
    `${over}: most of it is ${output}, ${formatBytes(largest.bytes)} for a batch of ${job.batchSize}, ` +
      'kept for the backward pass along with its gradient; use a smaller training.batchSize or make this layer smaller ' +
      '(fewer units or filters, or pool or stride earlier)',
    details,
  );
}
