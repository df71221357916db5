/**
 * A comparison request turned into its variants: `variants: [{ optimizer }]`, or a sweep
 * `{ optimizers, learningRates }` expanded to every pair. Each variant is the base job with
 * its optimizer in place of the base's; nothing else may differ. Only the envelope is checked
 * here: each variant's job is checked like any job (jobs/submit.ts), its errors renamed to the
 * request's fields by `variantField`.
 */
import { invalid } from '../errors.ts';
import { OPTIMIZER_NAMES } from '../domain/optimizer.ts';

export const METRICS = ['finalLoss', 'finalValLoss', 'bestValLoss', 'bestValAccuracy', 'stepToTarget'] as const;
export type Metric = (typeof METRICS)[number];

export interface ComparisonBody {
  name?: string;
  base: Record<string, unknown>;
  variants?: Array<{ optimizer: Record<string, unknown> }>;
  sweep?: { optimizers: Array<string | Record<string, unknown>>; learningRates?: number[] };
  metric?: Metric;
  target?: number;
}

export interface Variant {
  optimizer: Record<string, unknown>;
  /** Where the optimizer came from in the request, to name it in errors. */
  path: string;
  /** Where its learning rate came from, when a sweep set it. */
  learningRatePath?: string;
}

export function expandVariants(body: ComparisonBody, maxVariants: number): Variant[] {
  if ((body.variants === undefined) === (body.sweep === undefined)) {
    invalid(body.variants ? 'sweep' : 'variants', 'give either variants or sweep, not both and not neither');
  }
  const variants = body.variants
    ? body.variants.map((v, i) => ({ optimizer: v.optimizer, path: `variants[${i}].optimizer` }))
    : sweepVariants(body.sweep!);
  const field = body.variants ? 'variants' : 'sweep';
  if (variants.length === 0) invalid(field, 'needs at least one variant');
  if (variants.length > maxVariants) {
    invalid(field, `makes ${variants.length} variants; at most ${maxVariants} (MAX_COMPARISON_VARIANTS) are allowed in one comparison`);
  }
  return variants;
}

function sweepVariants(sweep: NonNullable<ComparisonBody['sweep']>): Variant[] {
  const optimizers = sweep.optimizers.map((o, i) => {
    const path = `sweep.optimizers[${i}]`;
    if (typeof o === 'string') {
      if (!(OPTIMIZER_NAMES as readonly string[]).includes(o))
        invalid(path, `must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${JSON.stringify(o)}`);
      return { optimizer: { name: o }, path };
    }
    if (sweep.learningRates && o.learningRate !== undefined) {
      invalid(`${path}.learningRate`, 'is set by sweep.learningRates; leave it out here');
    }
    return { optimizer: o, path };
  });
  if (!sweep.learningRates) return optimizers;
  return optimizers.flatMap((o) =>
    sweep.learningRates!.map((learningRate, j) => ({
      optimizer: { ...o.optimizer, learningRate },
      path: o.path,
      learningRatePath: `sweep.learningRates[${j}]`,
    })),
  );
}

/**
 * The request's name for a field a variant's job check complained about: its optimizer's
 * fields are the variant's, everything else comes from `base`.
 */
export function variantField(field: string, variant: Variant): string {
  if (field === 'optimizer.learningRate' && variant.learningRatePath) return variant.learningRatePath;
  if (field === 'optimizer' || field.startsWith('optimizer.')) return variant.path + field.slice('optimizer'.length);
  return field === 'body' ? 'base' : `base.${field}`;
}

/** The metric the best variant is chosen by: validation loss when there is a validation split. */
export function chooseMetric(body: ComparisonBody, validationSplit: number): Metric {
  const metric = body.metric ?? (validationSplit > 0 ? 'bestValLoss' : 'finalLoss');
  if ((metric === 'bestValLoss' || metric === 'bestValAccuracy' || metric === 'finalValLoss') && validationSplit <= 0) {
    invalid('metric', `${metric} needs a validation split (base.training.validationSplit > 0)`);
  }
  if (metric === 'stepToTarget' && body.target === undefined) invalid('metric', 'stepToTarget needs a target loss (target)');
  return metric;
}

/** A short name for a variant: its optimizer and learning rate. */
export function variantLabel(optimizer: { name: string; learningRate: unknown }): string {
  const lr = optimizer.learningRate;
  return `${optimizer.name} lr=${typeof lr === 'number' ? lr : (lr as { type: string }).type}`;
}
