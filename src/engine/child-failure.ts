/**
 * How a job that threw inside its training child is reported, and whether that child may train
 * again. Only the user's own doing leaves the process as it was: a spec the engine refused
 * (a DomainError: invalid input) or a loss that diverged (NonFiniteLossError). Anything else — an allocation
 * failure, a wasm trap ("memory access out of bounds", "Aborted()"), an unknown error — may have
 * left TensorFlow.js or its wasm module broken (every later job in that process then fails the
 * same way), so the child is retired.
 */
import { DomainError } from '../errors.ts';
import { checkModel } from '../domain/model.ts';
import { describeLargest, estimateJobMemory, formatBytes } from '../domain/memory.ts';
import type { JobPlan, JobSpec } from '../domain/job.ts';
import { NonFiniteLossError } from './train.ts';
import { WasmMemoryLimitError, type WasmMemoryLimit } from './wasm-memory.ts';

export interface ChildFailure {
  error: string;
  /** The child must not train again. */
  retire: boolean;
}

/**
 * Whether `err` means memory ran out. The wasm runtime's traps and V8's allocation failures carry
 * no type of their own, only their message: matching it is the one way to tell them apart.
 */
function isOutOfMemory(err: unknown, memory: WasmMemoryLimit | undefined): boolean {
  if (memory?.exceeded || err instanceof WasmMemoryLimitError) return true;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'RuntimeError') return /memory access out of bounds|^Aborted\(/.test(message);
  return err instanceof RangeError && /allocation failed|Invalid (typed )?array (buffer )?length|out of memory/i.test(message);
}

export function describeFailure(
  err: unknown,
  job: { spec: JobSpec; plan: JobPlan; backend: string; memory?: WasmMemoryLimit },
): ChildFailure {
  if (err instanceof DomainError || err instanceof NonFiniteLossError) return { error: err.message, retire: false };
  if (isOutOfMemory(err, job.memory)) return { error: outOfMemoryMessage(job), retire: true };
  // Names the backend, since that is what a user can change (TFJS_BACKEND, another worker).
  const message = err instanceof Error ? err.message : String(err);
  return { error: `training failed on the ${job.backend} backend: ${message}`, retire: true };
}

/** What ran out, the layer whose output is largest, and what to reduce. */
function outOfMemoryMessage({ spec, plan, memory }: { spec: JobSpec; plan: JobPlan; memory?: WasmMemoryLimit }): string {
  const limit = memory ? `the ${formatBytes(memory.limit)} a training process may use` : 'the memory this machine could give it';
  let need = '';
  try {
    const summary = checkModel(spec.model, plan.dataset.featureShape, plan.dataset.target, Number.POSITIVE_INFINITY);
    const estimate = estimateJobMemory(spec.model, summary, spec.optimizer, {
      inputShape: plan.dataset.featureShape,
      batchSize: spec.training.batchSize,
      validationCount: plan.validationCount,
    });
    // Not the estimate's total: it passed admission, so it reads lower than the ceiling it broke.
    need =
      `; its largest layer output is that of ${describeLargest(estimate)}, ${formatBytes(estimate.largest.bytes)} ` +
      `for a batch of ${spec.training.batchSize}, and training holds several tensors that size at once`;
  } catch {
    // The spec was checked at submit; an estimate that cannot be made only shortens the message.
  }
  return (
    `training ran out of memory: this job needs more than ${limit}${need}. ` +
    'Reduce training.batchSize, or the size of the largest layers (units, filters; pool or stride earlier), or the number of parameters.'
  );
}
