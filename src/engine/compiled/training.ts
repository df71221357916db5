/**
 * The compiled step inside the training loop (train.ts): whether a job takes it, and the
 * bridge between it and the tfjs model and optimizer that the rest of the loop uses
 * (evaluation, checkpoints, the saved result). While training, the weights and the optimizer's
 * slots live in the TensorFlow session; `syncBack` copies them into the model's variables and
 * the optimizer's slots, which is all a checkpoint or an evaluation needs.
 *
 * The choice is made from the job's spec, the backend and whether the addon was built, never
 * from timings: every attempt of a job on a machine trains the same way, so resume stays exact.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchArrays } from '../batches.ts';
import { ON_DEVICE, type DeviceBufferReader } from '../loss-reads.ts';
import type { TrainerOptimizer } from '../optimizers/base.ts';
import type { JobSpec } from '../../domain/job.ts';
import { isNativeBackend } from '../../domain/training-backend.ts';
import { graphAddon, type GraphAddon } from './addon.ts';
import { ACTIVATION_OPS, SUPPORTED_LAYERS } from './forward.ts';
import { CompiledStep, type CompiledStepSpec, type StepOutput } from './step.ts';
import { structuralFlags } from './update-rules.ts';

/** Why a job cannot take the compiled step here, or undefined when it can. */
export function compiledStepRefusal(spec: JobSpec, featureShape: readonly number[], backend: string): string | undefined {
  if (!isNativeBackend(backend)) return `the ${backend} backend has no compiled step`;
  if (graphAddon() === undefined) return 'the compiled-step addon is not built (npm run native)';
  let rank = featureShape.length + 1;
  for (const [i, layer] of spec.model.layers.entries()) {
    const at = `layer ${i} (${layer.type})`;
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(layer.type)) return `${at} has no compiled form`;
    if ((layer.type === 'dense' || layer.type === 'conv2d') && !ACTIVATION_OPS[layer.activation]) {
      return `${at}: activation ${layer.activation} has no compiled form`;
    }
    if (layer.type === 'dense' && rank !== 2) return `${at}: dense on a rank-${rank} input`;
    if (layer.type === 'conv2d' && (rank !== 4 || layer.dilationRate.some((d) => d !== 1))) return `${at}: rank or dilation`;
    if (layer.type === 'flatten') rank = 2;
    if (layer.type === 'reshape') rank = layer.targetShape.length + 1;
  }
  return undefined;
}

export class CompiledTraining {
  /** Steps whose values wait in the device buffer. */
  private buffered = 0;

  private constructor(
    private readonly step: CompiledStep,
    private readonly optimizer: TrainerOptimizer,
    private readonly trainable: tf.Variable[],
  ) {}

  /**
   * The compiled step for this job, loaded with the model's current weights and the
   * optimizer's slots (imported ones, or their starting values); undefined when the optimizer
   * has no compiled update.
   */
  static start(
    spec: JobSpec,
    featureShape: readonly number[],
    optimizer: TrainerOptimizer,
    trainable: tf.Variable[],
    target: { shape: readonly number[]; outputs: number; withClasses: boolean },
    how: { threads: number; deviceBuffer: number },
  ): CompiledTraining | undefined {
    const addon = graphAddon();
    const update = optimizer.compiledUpdate();
    if (addon === undefined || update === undefined) return undefined;
    const step = keptStep(
      {
        layers: spec.model.layers,
        loss: spec.model.loss,
        featureShape,
        outputs: target.outputs,
        targetShape: target.shape,
        withClasses: target.withClasses,
        weightShapes: trainable.map((v) => v.shape),
        rule: update.rule,
        slotNames: update.slots.map((s) => s.name),
        c0: update.c,
        decay: update.decay,
        clip: update.clip,
        ...how,
      },
      addon,
    );
    const weights = trainable.map((v) => v.dataSync() as Float32Array);
    const slots = trainable.map((v) => {
      const own = optimizer.slotsOf(v.name);
      return update.slots.map((s, k) => (own ? (own[k].dataSync() as Float32Array) : new Float32Array(v.size).fill(s.initialValue)));
    });
    step.load(weights, slots);
    return new CompiledTraining(step, optimizer, trainable);
  }

  /**
   * One step on a batch; the optimizer's iteration count moves on with it. With a device
   * buffer, its loss and correct count stay on the device until `readDevice`.
   */
  run(batch: BatchArrays): StepOutput | typeof ON_DEVICE {
    const update = this.optimizer.compiledUpdate();
    if (update === undefined) throw new Error('the optimizer lost its compiled update');
    const { x, y, classes, size } = batch;
    let out: StepOutput | typeof ON_DEVICE = ON_DEVICE;
    if (this.step.spec.deviceBuffer > 1) this.step.stepBuffered(x, y, classes, size, update.scalars, this.buffered++);
    else out = this.step.step(x, y, classes, size, update.scalars);
    this.optimizer.countCompiledUpdate();
    return out;
  }

  /** The values of the steps held on the device since the last read (loss-reads.ts). */
  readonly readDevice: DeviceBufferReader = (count) => {
    this.buffered = 0;
    return this.step.readBuffer(count);
  };

  /** Copies the session's weights into the model and its slots into the optimizer. */
  syncBack(): void {
    const weights = this.step.readWeights();
    const slots = this.step.readSlots();
    this.trainable.forEach((variable, i) => {
      const value = tf.tensor(weights[i], variable.shape, 'float32');
      variable.assign(value);
      value.dispose();
    });
    const tensors = this.trainable.flatMap((variable, i) =>
      this.step.spec.slotNames.map((slot, k) => ({
        variable: variable.name,
        slot,
        tensor: tf.tensor(slots[i][k], variable.shape, 'float32'),
      })),
    );
    try {
      this.optimizer.importState({ iterations: this.optimizer.iterations, slots: tensors });
    } finally {
      tensors.forEach((s) => s.tensor.dispose());
    }
  }

  /** Ends this job's use of the step: it is kept for the next job of the same shape. */
  close(): void {
    if (kept !== undefined) kept.step.close();
    kept = { key: stepKey(this.step.spec), step: this.step };
  }
}

/**
 * The last compiled step this process trained with. Building a step's graph and running its
 * first step (TensorFlow optimizes the graph then) costs ~50–100 ms, a good part of a small
 * job; jobs of one comparison or sweep share their model and optimizer, so the next job of the
 * same shape loads its own weights and slots into the same session instead. Every variable is
 * overwritten by `load`, so a reused step trains exactly as a new one.
 */
let kept: { key: string; step: CompiledStep } | undefined;

/** What makes two steps' graphs the same: the spec without the first step's scalars, but with the flags among them. */
function stepKey(spec: CompiledStepSpec): string {
  const { c0, ...rest } = spec;
  return JSON.stringify({ ...rest, scalars: c0.length, flags: structuralFlags(spec.rule, c0) });
}

function keptStep(spec: CompiledStepSpec, addon: GraphAddon): CompiledStep {
  const mine = kept;
  kept = undefined;
  if (mine !== undefined && mine.key === stepKey(spec)) return mine.step.reusedFor(spec);
  mine?.step.close();
  return new CompiledStep(addon, spec);
}
