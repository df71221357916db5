/**
 * The compiled training step: a job's whole step — forward pass, loss, correct count, every
 * gradient (TensorFlow's own gradient registry), clipping, weight decay and the optimizer's
 * update — built once as one TensorFlow graph, with the weights and the optimizer's slots as
 * resource variables inside the session, and run with one TF_SessionRun per step. Eager
 * tfjs-node runs each of the ~150 ops of such a step as its own call behind tfjs-core's
 * bookkeeping; here the step is one native call and TensorFlow schedules its ops itself.
 *
 * The weights and slots live in the session while training: `readWeights` / `readSlots` copy
 * them out (for an evaluation, a checkpoint, the result) and `load` puts them in.
 */
import type { ClipOptions } from '../optimizers/clipping.ts';
import type { FusedRuleName } from '../optimizers/fused-rules.ts';
import type { LayerSpec, Loss } from '../../domain/model.ts';
import { DT, type GraphAddon, type HostTensor, type Ref, type SessionHandle } from './addon.ts';
import { countCorrect, forward, meanLoss } from './forward.ts';
import { Graph } from './graph.ts';
import { GRAPH_RULES, graphDecay } from './update-rules.ts';
import { FULL_TRACE, opTimings, type OpTiming } from './profile.ts';

export interface CompiledStepSpec {
  layers: readonly LayerSpec[];
  loss: Loss;
  featureShape: readonly number[];
  /** Units of the model's output (the last axis). */
  outputs: number;
  /** The target batch's shape after the batch axis ([] for class indices, [width] otherwise). */
  targetShape: readonly number[];
  withClasses: boolean;
  /** The trainable weights' shapes, in model order. */
  weightShapes: readonly (readonly number[])[];
  rule: FusedRuleName;
  /** The slots per weight, in the optimizer's slotSpecs order. */
  slotNames: readonly string[];
  /** The first step's scalars (structural flags are read from them) and whether weight decay is on. */
  c0: readonly number[];
  decay: boolean;
  clip: ClipOptions;
  /** TensorFlow's intra-op threads; 0 lets TensorFlow choose (all cores). */
  threads: number;
  /**
   * Steps whose loss and correct count stay in the session until read together (a GPU must
   * not stop for a read every step: loss-reads.ts); 1 answers them with every step.
   */
  deviceBuffer: number;
}

export interface StepOutput {
  loss: number;
  correct: number;
}

const STEP = 'trainer_step';
/** Compiled steps built in this process (their resource names are unique). */
let stepsBuilt = 0;

/** How many steps this process has built (tests check that a kept step is reused). */
export const compiledStepsBuilt = () => stepsBuilt;
const LOAD = 'trainer_load';

export class CompiledStep {
  /** The spec of the job now using this step (a reused step serves jobs of the same shape). */
  spec: CompiledStepSpec;

  private readonly graph: Graph;
  private readonly session: SessionHandle;
  private readonly x: Ref;
  private readonly y: Ref;
  private readonly classes: Ref | undefined;
  private readonly scalars: Ref;
  private readonly fetches: Ref[];
  private readonly weightReads: Ref[];
  private readonly slotReads: Ref[][];
  private readonly loadFeeds: Ref[];
  /** Every variable's shape, in load order: the weights, then each weight's slots. */
  private readonly variableShapes: ReadonlyArray<readonly number[]>;
  /** With a device buffer: the step's slot in it, and the buffer's reads. */
  private readonly bufferSlot: Ref | undefined;
  private readonly bufferReads: Ref[] = [];

  constructor(addon: GraphAddon, spec: CompiledStepSpec) {
    this.spec = spec;
    const G = (this.graph = new Graph(addon));
    this.x = G.placeholder('x', [-1, ...spec.featureShape]);
    this.y = G.placeholder('y', [-1, ...spec.targetShape]);
    this.classes = spec.withClasses ? G.placeholder('classes', [-1]) : undefined;
    const scalarCount = spec.c0.length + (spec.decay ? 2 : 0);
    this.scalars = G.placeholder('scalars', [scalarCount]);

    // Resource names unique in the process: sessions that overlap never share a variable.
    const prefix = `step${++stepsBuilt}_`;
    const weights = spec.weightShapes.map((shape, i) => G.variable(`${prefix}w${i}`, shape));
    const slots = spec.weightShapes.map((shape, i) => spec.slotNames.map((_, k) => G.variable(`${prefix}w${i}_s${k}`, shape)));
    this.weightReads = weights.map((w) => G.read(w));
    this.slotReads = slots.map((own) => own.map((s) => G.read(s)));

    const p = forward(G, spec.layers, this.x, this.weightReads);
    const loss = meanLoss(G, spec.loss, this.y, p, spec.outputs);
    this.fetches = this.classes ? [loss, countCorrect(G, p, this.classes, spec.outputs)] : [loss];
    const gradients = G.addon.addGradients(G.handle, 'gradients', [loss], this.weightReads).map((g, i) => {
      if (g === null) throw new Error(`the loss does not depend on weight ${i}`);
      return g;
    });

    const c = G.unstack(this.scalars, scalarCount);
    const ruleScalars = c.slice(0, spec.c0.length);
    const [wd, lr] = c.slice(spec.c0.length);
    const clipped = clipGradients(G, gradients, spec.clip);
    const assigns: string[] = [];
    weights.forEach((variable, i) => {
      const w = spec.decay ? graphDecay(G, this.weightReads[i], wd, lr) : this.weightReads[i];
      const next = GRAPH_RULES[spec.rule](G, { w, g: clipped[i], s: this.slotReads[i], c: ruleScalars, c0: spec.c0 });
      assigns.push(G.assign(variable, next.w));
      next.s.forEach((value, k) => assigns.push(G.assign(slots[i][k], value)));
    });
    const zeroed: string[] = [];
    if (spec.deviceBuffer > 1) {
      // buffer[slot] = value, with ResourceScatterUpdate (indices [slot], updates [value]).
      this.bufferSlot = G.placeholder('buffer_slot', [], DT.int32);
      const index = G.reshape(this.bufferSlot, [1]);
      this.fetches.forEach((value, i) => {
        const buffer = G.variable(`${prefix}buffer${i}`, [spec.deviceBuffer]);
        zeroed.push(G.assign(buffer, G.op1('Fill', [G.ints([spec.deviceBuffer]), G.scalar(0)])));
        const name = `buffer_update${i}`;
        G.op('ResourceScatterUpdate', [buffer, index, G.reshape(value, [1])], [], { name });
        assigns.push(name);
        this.bufferReads.push(G.read(buffer));
      });
    }
    G.group(STEP, assigns);

    // Loading: one placeholder per variable, assigned together.
    const all = [...weights, ...slots.flat()];
    this.variableShapes = [...spec.weightShapes, ...spec.weightShapes.flatMap((shape) => spec.slotNames.map(() => shape))];
    this.loadFeeds = all.map((_, i) => G.placeholder(`load${i}`, this.variableShapes[i]));
    G.group(LOAD, [...all.map((variable, i) => G.assign(variable, this.loadFeeds[i])), ...zeroed]);
    this.session = G.addon.newSession(G.handle, sessionConfig(spec.threads));
  }

  /** This step, for a job whose graph is the same (training.ts decides); `load` must follow. */
  reusedFor(spec: CompiledStepSpec): this {
    this.spec = spec;
    return this;
  }

  /** Puts weights and slots (per weight, in slotNames order) into the session. */
  load(weights: readonly Float32Array[], slots: readonly (readonly Float32Array[])[]): void {
    const values = [...weights, ...slots.flat()];
    const feeds = this.loadFeeds.map((ref, i) => [ref, float32(values[i], this.variableShapes[i])] as const);
    this.graph.addon.run(this.session, feeds, [], [LOAD]);
  }

  /**
   * One training step on a batch. `scalars`: the rule's scalars for this step, then
   * [weightDecay, lr] when decay is on.
   */
  step(x: Float32Array, y: Float32Array, classes: Float32Array | undefined, rows: number, scalars: readonly number[]): StepOutput {
    const [loss, correct] = this.graph.addon.run(this.session, this.feeds(x, y, classes, rows, scalars), this.fetches, [STEP]);
    return { loss: loss.data[0], correct: correct ? correct.data[0] : 0 };
  }

  /** One step whose loss and correct count go to slot `slot` of the device buffer (read with readBuffer). */
  stepBuffered(
    x: Float32Array,
    y: Float32Array,
    classes: Float32Array | undefined,
    rows: number,
    scalars: readonly number[],
    slot: number,
  ): void {
    if (!this.bufferSlot) throw new Error('this step has no device buffer');
    const slotFeed: readonly [Ref, HostTensor] = [this.bufferSlot, { dtype: DT.int32, shape: [], data: Int32Array.of(slot) }];
    this.graph.addon.run(this.session, [...this.feeds(x, y, classes, rows, scalars), slotFeed], [], [STEP]);
  }

  /** The first `count` losses and correct counts in the device buffer. */
  readBuffer(count: number): { losses: Float32Array; corrects: Float32Array } {
    const [losses, corrects] = this.graph.addon
      .run(this.session, [], this.bufferReads, [])
      .map((t) => (t.data as Float32Array).subarray(0, count));
    return { losses, corrects: corrects ?? new Float32Array(count) };
  }

  private feeds(x: Float32Array, y: Float32Array, classes: Float32Array | undefined, rows: number, scalars: readonly number[]) {
    const feeds: Array<readonly [Ref, HostTensor]> = [
      [this.x, float32(x, [rows, ...this.spec.featureShape])],
      [this.y, float32(y, [rows, ...this.spec.targetShape])],
      [this.scalars, float32(Float32Array.from(scalars), [scalars.length])],
    ];
    if (this.classes && classes) feeds.push([this.classes, float32(classes, [rows])]);
    return feeds;
  }

  /** One step traced by TensorFlow: its outputs and every op's timing (profile.ts). */
  profile(x: Float32Array, y: Float32Array, classes: Float32Array | undefined, rows: number, scalars: readonly number[]): OpTiming[] {
    const { metadata } = this.graph.addon.run(this.session, this.feeds(x, y, classes, rows, scalars), this.fetches, [STEP], FULL_TRACE);
    return opTimings(metadata);
  }

  readWeights(): Float32Array[] {
    if (this.weightReads.length === 0) return [];
    return this.graph.addon.run(this.session, [], this.weightReads, []).map((t) => t.data as Float32Array);
  }

  /** Per weight, its slots in slotNames order. */
  readSlots(): Float32Array[][] {
    if (this.spec.slotNames.length === 0) return this.spec.weightShapes.map(() => []);
    const flat = this.graph.addon.run(this.session, [], this.slotReads.flat(), []).map((t) => t.data as Float32Array);
    const per = this.spec.slotNames.length;
    return this.spec.weightShapes.map((_, i) => flat.slice(i * per, (i + 1) * per));
  }

  close(): void {
    this.graph.addon.closeSession(this.session);
  }
}

function float32(data: Float32Array, shape: readonly number[]): HostTensor {
  return { dtype: DT.float32, shape: [...shape], data };
}

/** Gradient clipping, op for op as optimizers/clipping.ts (Keras 3's rules). */
function clipGradients(G: Graph, grads: Ref[], { clipNorm, globalClipNorm, clipValue }: ClipOptions): Ref[] {
  const sumAll = (g: Ref) => G.sum(g, allAxes(G, g));
  if (clipNorm !== undefined) {
    const c = G.scalar(clipNorm);
    return grads.map((g) => G.div(G.mul(g, c), G.maximum(G.sqrt(sumAll(G.square(g))), c)));
  }
  if (globalClipNorm !== undefined && grads.length > 0) {
    const squares = G.op1('Pack', [grads.map((g) => sumAll(G.square(g)))], [['axis', 'int', 0]]);
    const norm = G.sqrt(G.sum(squares, [0]));
    const finite = G.mul(G.scalar(globalClipNorm), G.minimum(G.div(G.scalar(1), norm), G.scalar(1 / globalClipNorm)));
    const scale = G.add(finite, G.sub(norm, norm));
    return grads.map((g) => G.mul(g, scale));
  }
  if (clipValue !== undefined) {
    return grads.map((g) => G.minimum(G.maximum(g, G.scalar(-clipValue)), G.scalar(clipValue)));
  }
  return grads;
}

function allAxes(G: Graph, ref: Ref): number[] {
  const shape = G.shape(ref);
  if (!shape) throw new Error('a gradient of unknown rank');
  return shape.map((_, i) => i);
}

/**
 * A serialized tensorflow.ConfigProto (tensorflow/core/protobuf/config.proto) with
 * intra_op_parallelism_threads (field 2) and inter_op_parallelism_threads (field 5) = 1: the
 * step's ops form one chain, so parallelism within an op is what pays.
 */
export function sessionConfig(threads: number): Uint8Array {
  const bytes: number[] = [];
  const varint = (field: number, value: number) => {
    bytes.push((field << 3) | 0);
    let v = value;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
  };
  if (threads > 0) varint(2, threads);
  varint(5, 1);
  return Uint8Array.from(bytes);
}
