/**
 * The machinery every optimizer shares, following Keras 3's BaseOptimizer
 * (keras/src/optimizers/base_optimizer.py), on top of TensorFlow.js's `tf.Optimizer` so that
 * `minimize()` and `model.compile({ optimizer })` work unchanged.
 *
 * One update (`applyGradients`), in Keras 3's order:
 *   1. lr = learningRateAt(iterations)            (the schedule at the count *before* the update)
 *   2. clip the gradients (clipping.ts)
 *   3. decoupled weight decay, if set:  w <- w - w * weightDecay * lr
 *   4. the optimizer's own rule (`updateStep`), bias corrections with t = iterations + 1
 *   5. iterations += 1
 * All tensor math runs inside one `tf.tidy`; the only tensors that outlive it are the slots.
 *
 * Slots (moment estimates, accumulators) are non-trainable `tf.Variable`s created on a variable's
 * first update, keyed by the model variable's name and the slot's name.
 */
import * as tf from '@tensorflow/tfjs';
import { invalid } from '../../errors.ts';
import { clipGradients, type ClipOptions } from './clipping.ts';
import { fusedUpdateAvailable, runFusedUpdate } from './fused-kernel.ts';
import type { FusedRuleName } from './fused-rules.ts';
import { learningRateAt } from '../../domain/schedules.ts';
import type { CommonOptions, OptimizerName } from '../../domain/optimizer.ts';

/** A slot an optimizer keeps per variable, and the value it starts from. */
export interface SlotSpec {
  name: string;
  initialValue: number;
}

/** One variable's slots by slot name. */
export type Slots = Readonly<Record<string, tf.Variable>>;

export interface StepContext {
  /** The learning rate of this update. */
  lr: number;
  /** Keras' `iterations` before this update (0 on the first). */
  iterations: number;
  /** The step used in bias corrections: iterations + 1. */
  t: number;
}

/** A slot as the optimizer holds it: a tensor of the variable it belongs to (SlotState, in spec/, is its stored form). */
export interface SlotTensor {
  /** The model variable's name (`tf.Variable.name`). */
  variable: string;
  slot: string;
  tensor: tf.Tensor;
}

export interface OptimizerState {
  iterations: number;
  slots: SlotTensor[];
}

const STATE = 'optimizerState';

/**
 * Variables up to this many elements take the fused update. Above it the unfused kernels win:
 * the fused rule is a scalar JS loop (measured here, wasm, Adam: 16 elements 62 µs fused vs 124
 * unfused, 1,024: 44 vs 54, 16,384: 182 vs 83, 100,352: 1,716 vs 293) and wasm's elementwise
 * kernels are SIMD. Both paths give the same bits, so the choice per variable changes no result.
 */
export const FUSED_MAX_ELEMENTS = 4096;

/** What a compiled step needs of the optimizer for one update (`compiledUpdate`). */
export interface CompiledUpdate {
  rule: FusedRuleName;
  /** The rule's scalars for this update. */
  c: number[];
  /** The scalars the step is fed: c, then [weightDecay, lr] when `decay`. */
  scalars: number[];
  decay: boolean;
  slots: readonly SlotSpec[];
  clip: ClipOptions;
}

/** tfjs-core's NamedTensor (not re-exported by the @tensorflow/tfjs bundle). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export abstract class TrainerOptimizer extends tf.Optimizer {
  static readonly className: string = 'TrainerOptimizer';

  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  protected constructor(protected readonly options: CommonOptions & { name: OptimizerName }) {
    super();
    this.iterations_ = 0;
  }

  /** The slots this optimizer keeps per variable, given its options. */
  protected abstract slotSpecs(): readonly SlotSpec[];

  /** The optimizer's own rule for one variable; called inside `tf.tidy`. */
  protected abstract updateStep(variable: tf.Variable, gradient: tf.Tensor, slots: Slots, ctx: StepContext): void;

  /**
   * The same update as `updateStep` as one fused kernel call (fused-rules.ts): the rule's name
   * and its scalars for this step; undefined = no fused form, the unfused path runs.
   */
  protected fusedStep(_ctx: StepContext): { rule: FusedRuleName; c: number[] } | undefined {
    return undefined;
  }

  /** Whether updates may use the fused kernel where the backend has it (tests compare both paths). */
  useFused = true;

  /**
   * The next update as a compiled step runs it itself (engine/compiled/): the fused rule and
   * its scalars for this update, then [weightDecay, lr] when decay is on; the slots with their
   * starting values; the clipping. Undefined when the optimizer has no fused form. The step
   * that applies it reports back with `countCompiledUpdate`.
   */
  compiledUpdate(): CompiledUpdate | undefined {
    const ctx: StepContext = { lr: this.currentLearningRate(), iterations: this.iterations, t: this.iterations + 1 };
    const fused = this.fusedStep(ctx);
    if (fused === undefined) return undefined;
    const { weightDecay, clipNorm, globalClipNorm, clipValue } = this.options;
    return {
      rule: fused.rule,
      c: fused.c,
      scalars: weightDecay !== undefined ? [...fused.c, weightDecay, ctx.lr] : fused.c,
      decay: weightDecay !== undefined,
      slots: this.slotSpecs(),
      clip: { clipNorm, globalClipNorm, clipValue },
    };
  }

  /** Counts an update that a compiled step applied (iterations += 1). */
  countCompiledUpdate(): void {
    this.iterations_ += 1;
  }

  /** The slots of `variable` (by tfjs variable name), in slotSpecs order, if it has them yet. */
  slotsOf(variable: string): tf.Variable[] | undefined {
    const own = this.slots.get(variable);
    return own && this.slotSpecs().map((s) => own.get(s.name) as tf.Variable);
  }

  /** Updates applied so far (Keras' `iterations`); the next update uses t = iterations + 1. */
  override get iterations(): number {
    return this.iterations_;
  }

  override set iterations(value: number) {
    if (!Number.isInteger(value) || value < 0) invalid(`${STATE}.iterations`, `must be an integer >= 0, got ${value}`);
    this.iterations_ = value;
  }

  learningRateAt(step: number): number {
    return learningRateAt(this.options.learningRate, step);
  }

  /** The rate the next update will use. */
  currentLearningRate(): number {
    return this.learningRateAt(this.iterations);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    // tfjs passes null for variables the loss does not depend on; Keras filters them the same way.
    const given = named.filter((g) => g.tensor != null);
    if (given.length === 0) return;
    const variables = given.map((g) => this.variableNamed(g.name));
    const slots = variables.map((v) => this.slotsFor(v));
    const ctx: StepContext = { lr: this.currentLearningRate(), iterations: this.iterations, t: this.iterations + 1 };
    const { weightDecay } = this.options;
    const fused = this.useFused && fusedUpdateAvailable() ? this.fusedStep(ctx) : undefined;
    const slotNames = this.slotSpecs().map((s) => s.name);
    tf.tidy(() => {
      const grads = clipGradients(
        given.map((g) => g.tensor),
        this.options,
      );
      variables.forEach((variable, i) => {
        if (fused && variable.dtype === 'float32' && variable.size <= FUSED_MAX_ELEMENTS) {
          const decay = weightDecay !== undefined ? [weightDecay, ctx.lr] : [];
          const [value, ...slotValues] = runFusedUpdate(
            variable,
            grads[i],
            slotNames.map((n) => slots[i][n]),
            fused.rule,
            fused.c,
            decay,
          );
          variable.assign(value);
          slotNames.forEach((n, k) => slots[i][n].assign(slotValues[k]));
          return;
        }
        if (weightDecay !== undefined) {
          variable.assign(tf.sub(variable, tf.mul(tf.mul(variable, weightDecay), ctx.lr)));
        }
        this.updateStep(variable, grads[i], slots[i], ctx);
      });
    });
    this.iterations_ += 1;
  }

  private variableNamed(name: string): tf.Variable {
    const variable = tf.engine().registeredVariables[name];
    if (variable === undefined) throw new Error(`applyGradients: no tf.Variable named "${name}"`);
    return variable;
  }

  /** The variable's slots, created on first use (imported ones are checked against its shape). */
  private slotsFor(variable: tf.Variable): Slots {
    let own = this.slots.get(variable.name);
    if (own === undefined) {
      own = new Map();
      this.slots.set(variable.name, own);
    }
    for (const { name, initialValue } of this.slotSpecs()) {
      const existing = own.get(name);
      if (existing === undefined) {
        own.set(
          name,
          tf.tidy(() => tf.variable(tf.fill(variable.shape, initialValue, 'float32'), false)),
        );
      } else if (!sameShape(existing.shape, variable.shape)) {
        throw new Error(`slot ${variable.name}/${name} has shape [${existing.shape}] but the variable has [${variable.shape}]`);
      }
    }
    return Object.fromEntries(own);
  }

  /** Copies of the iteration count and every slot; the caller disposes the tensors. */
  exportState(): OptimizerState {
    const slots: SlotTensor[] = [];
    for (const [variable, own] of this.slots) {
      for (const [slot, tensor] of own) slots.push({ variable, slot, tensor: tensor.clone() });
    }
    return { iterations: this.iterations, slots };
  }

  /**
   * Replaces the iteration count and all slots with `state` (which stays the caller's to
   * dispose). Checked before anything changes: known slot names, every slot of a variable
   * present, float32, and the shape of the variable when it exists already.
   */
  importState(state: OptimizerState): void {
    if (!Number.isInteger(state.iterations) || state.iterations < 0) {
      invalid(`${STATE}.iterations`, `must be an integer >= 0, got ${state.iterations}`);
    }
    const wanted = this.slotSpecs().map((s) => s.name);
    const byVariable = new Map<string, Map<string, tf.Tensor>>();
    state.slots.forEach(({ variable, slot, tensor }, i) => {
      const field = `${STATE}.slots[${i}]`;
      if (!wanted.includes(slot))
        invalid(`${field}.slot`, `"${slot}" is not a slot of ${this.getClassName()} (${wanted.join(', ') || 'none'})`);
      if (tensor.dtype !== 'float32') invalid(`${field}.tensor`, `must be float32, got ${tensor.dtype}`);
      const model = tf.engine().registeredVariables[variable];
      if (model !== undefined && !sameShape(model.shape, tensor.shape)) {
        invalid(`${field}.tensor`, `has shape [${tensor.shape}] but variable "${variable}" has [${model.shape}]`);
      }
      const own = byVariable.get(variable) ?? new Map<string, tf.Tensor>();
      if (own.has(slot)) invalid(`${field}.slot`, `"${variable}/${slot}" appears twice`);
      byVariable.set(variable, own.set(slot, tensor));
    });
    for (const [variable, own] of byVariable) {
      const missing = wanted.filter((s) => !own.has(s));
      if (missing.length > 0) invalid(`${STATE}.slots`, `variable "${variable}" lacks slot(s) ${missing.join(', ')}`);
    }
    this.disposeSlots();
    for (const [variable, own] of byVariable) {
      this.slots.set(variable, new Map([...own].map(([slot, tensor]) => [slot, tf.variable(tensor, false)])));
    }
    this.iterations_ = state.iterations;
  }

  /** tfjs API: `iter` first, then the live slot variables named `<variable>/<slot>` (not copies). */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [await this.saveIterations()];
    for (const [variable, own] of this.slots) {
      for (const [slot, tensor] of own) weights.push({ name: `${variable}/${slot}`, tensor });
    }
    return weights;
  }

  /** tfjs API: the inverse of `getWeights` (slot names are split at their last "/"). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const [iter, ...rest] = weightValues;
    if (iter === undefined) invalid(STATE, 'setWeights needs at least the "iter" weight');
    const iterations = (await iter.tensor.data())[0];
    const slots = rest.map(({ name, tensor }) => {
      const cut = name.lastIndexOf('/');
      return { variable: name.slice(0, cut), slot: name.slice(cut + 1), tensor };
    });
    this.importState({ iterations, slots });
  }

  /** The spec this optimizer was built from (parseOptimizerSpec + createOptimizer rebuild it). */
  getConfig(): tf.serialization.ConfigDict {
    return JSON.parse(JSON.stringify(this.options)) as tf.serialization.ConfigDict;
  }

  override dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    for (const own of this.slots.values()) for (const slot of own.values()) slot.dispose();
    this.slots.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
