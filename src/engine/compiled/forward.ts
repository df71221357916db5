/**
 * A model's forward pass, loss and correct count as TensorFlow graph ops, op for op as
 * tfjs-layers computes them on its `tensorflow` backend (so the compiled step trains the model
 * the eager path trains, to float32 rounding):
 *   dense:   act(BiasAdd(MatMul(x, K), b))            conv2d: act(BiasAdd(Conv2D(x, K), b)), NHWC
 *   pooling: MaxPool / AvgPool, NHWC                  flatten, reshape: Reshape([-1, …])
 *   (a stride-1 conv2d with a narrow patch, and the max-pooling after it, run as one MatMul
 *   over the patches instead: conv-matmul.ts)
 *   losses (tfjs-layers losses.ts, ε = 1e-7, then the mean over the batch):
 *     meanSquaredError          mean_j (p − y)²
 *     binaryCrossentropy        c = clip(p, ε, 1 − ε), x = log(c / (1 − c)),
 *                               mean_j [relu(x) − x·y + log1p(exp(−|x|))]
 *     categoricalCrossentropy   c = clip(p / Σp, ε, 1 − ε), −Σ_j y·log c   (sparse: y one-hot)
 *   clip(v, lo, hi) = min(max(v, lo), hi): TensorFlow's Maximum/Minimum gradients pass where
 *   lo ≤ v ≤ hi, as tfjs's clipByValue does.
 * Layers and activations outside SUPPORTED keep the eager path (plan.ts decides).
 */
import type { Activation, LayerSpec, Loss } from '../../domain/model.ts';
import { DT, type Ref } from './addon.ts';
import { convAsMatMul, convolveAsMatMul, poolFolds } from './conv-matmul.ts';
import type { Graph } from './graph.ts';

/** tfjs-layers' epsilon(). */
const EPSILON = 1e-7;

type ActivationOp = (g: Graph, x: Ref) => Ref;

/** Each activation as tfjs-layers' activations.ts writes it. */
export const ACTIVATION_OPS: Partial<Record<Activation, ActivationOp>> = {
  linear: (_g, x) => x,
  relu: (g, x) => g.op1('Relu', [x]),
  relu6: (g, x) => g.op1('Relu6', [x]),
  elu: (g, x) => g.op1('Elu', [x]),
  selu: (g, x) => g.op1('Selu', [x]),
  sigmoid: (g, x) => g.sigmoid(x),
  tanh: (g, x) => g.tanh(x),
  softmax: (g, x) => g.op1('Softmax', [x]),
  softplus: (g, x) => g.op1('Softplus', [x]),
  softsign: (g, x) => g.op1('Softsign', [x]),
  /** clip(0.2·x + 0.5, 0, 1) */
  hardSigmoid: (g, x) => clip(g, g.add(g.mul(g.scalar(0.2), x), g.scalar(0.5)), 0, 1),
  /** x · sigmoid(x) */
  swish: (g, x) => g.mul(x, g.sigmoid(x)),
  /** x · tanh(softplus(x)) */
  mish: (g, x) => g.mul(x, g.tanh(g.op1('Softplus', [x]))),
  /** x · ½(1 + erf(x / √2)) */
  gelu: (g, x) => g.mul(x, g.mul(g.scalar(0.5), g.add(g.scalar(1), g.op1('Erf', [g.div(x, g.scalar(Math.sqrt(2)))])))),
};

export function clip(g: Graph, x: Ref, lo: number, hi: number): Ref {
  return g.minimum(g.maximum(x, g.scalar(lo)), g.scalar(hi));
}

const pair = (p: readonly [number, number]) => [1, p[0], p[1], 1];
const padding = (p: 'valid' | 'same') => (p === 'valid' ? 'VALID' : 'SAME');

/** The layers whose forward pass is written here. */
export const SUPPORTED_LAYERS = ['dense', 'conv2d', 'maxPooling2d', 'averagePooling2d', 'flatten', 'reshape'] as const;

/**
 * The model applied to `x`; `weights` are its trainable weights' values in model order
 * (kernel, then bias, per layer). Answers the output.
 */
export function forward(g: Graph, layers: readonly LayerSpec[], x: Ref, weights: readonly Ref[]): Ref {
  let next = 0;
  const take = () => weights[next++];
  let h = x;
  for (let at = 0; at < layers.length; at++) {
    const layer = layers[at];
    if (layer.type === 'conv2d' && convAsMatMul(layer, inputChannels(g, h))) {
      const kernel = take();
      const bias = layer.useBias ? take() : undefined;
      const after = layers[at + 1];
      const pool = after?.type === 'maxPooling2d' && poolFolds(after) ? after : undefined;
      h = convolveAsMatMul(g, h, layer, kernel, bias, (y) => activationOp(layer.activation)(g, y), pool);
      if (pool) at++;
      continue;
    }
    switch (layer.type) {
      case 'dense':
      case 'conv2d': {
        const kernel = take();
        h =
          layer.type === 'dense'
            ? g.op1('MatMul', [h, kernel])
            : g.op1(
                'Conv2D',
                [h, kernel],
                [
                  ['strides', 'ints', pair(layer.strides)],
                  ['padding', 'string', padding(layer.padding)],
                  ['dilations', 'ints', pair(layer.dilationRate)],
                  ['data_format', 'string', 'NHWC'],
                ],
              );
        if (layer.useBias) h = g.op1('BiasAdd', [h, take()]);
        h = activationOp(layer.activation)(g, h);
        break;
      }
      case 'maxPooling2d':
      case 'averagePooling2d':
        h = g.op1(
          layer.type === 'maxPooling2d' ? 'MaxPool' : 'AvgPool',
          [h],
          [
            ['ksize', 'ints', pair(layer.poolSize)],
            ['strides', 'ints', pair(layer.strides)],
            ['padding', 'string', padding(layer.padding)],
            ['data_format', 'string', 'NHWC'],
          ],
        );
        break;
      case 'flatten': {
        const shape = g.shape(h);
        if (!shape) throw new Error('flatten: unknown input rank');
        h = g.reshape(h, [-1, shape.slice(1).reduce((a, b) => a * b, 1)]);
        break;
      }
      case 'reshape':
        h = g.reshape(h, [-1, ...layer.targetShape]);
        break;
      default:
        throw new Error(`the compiled step has no ${layer.type} layer`);
    }
  }
  if (next !== weights.length) throw new Error(`forward used ${next} of ${weights.length} weights`);
  return h;
}

function activationOp(name: Activation): ActivationOp {
  const op = ACTIVATION_OPS[name];
  if (!op) throw new Error(`the compiled step has no ${name} activation`);
  return op;
}

/** The last axis of an NHWC image. */
function inputChannels(g: Graph, image: Ref): number {
  const shape = g.shape(image);
  if (!shape || shape.length !== 4) throw new Error('conv2d: an image input of rank 4 was expected');
  return shape[3];
}

/** The batch's mean loss, as tfjs-layers' metrics compute it per example, averaged over the batch. */
export function meanLoss(g: Graph, loss: Loss, y: Ref, p: Ref, outputs: number): Ref {
  const lastAxis = [-1];
  let perExample: Ref;
  switch (loss) {
    case 'meanSquaredError':
      perExample = g.mean(g.square(g.sub(p, y)), lastAxis);
      break;
    case 'binaryCrossentropy': {
      const c = clip(g, p, EPSILON, 1 - EPSILON);
      const logits = g.log(g.div(c, g.sub(g.scalar(1), c)));
      const terms = g.add(g.sub(g.op1('Relu', [logits]), g.mul(logits, y)), g.log1p(g.exp(g.neg(g.abs(logits)))));
      perExample = g.mean(terms, lastAxis);
      break;
    }
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy': {
      const target = loss === 'sparseCategoricalCrossentropy' ? oneHot(g, y, outputs) : y;
      const c = clip(g, g.div(p, g.sum(p, lastAxis, true)), EPSILON, 1 - EPSILON);
      perExample = g.neg(g.sum(g.mul(target, g.log(c)), lastAxis));
      break;
    }
  }
  return g.mean(perExample, [0]);
}

function oneHot(g: Graph, classes: Ref, depth: number): Ref {
  const indices = g.cast(classes, DT.int32);
  return g.op1('OneHot', [indices, g.int(depth), g.scalar(1), g.scalar(0)], [['axis', 'int', -1]]);
}

/** Correct predictions in the batch (losses.ts countCorrect): > 0.5 for one output, else the first maximum. */
export function countCorrect(g: Graph, p: Ref, classes: Ref, outputs: number): Ref {
  const predicted =
    outputs === 1
      ? g.cast(g.op1('Greater', [g.reshape(p, [-1]), g.scalar(0.5)]), DT.int32)
      : g.op1('ArgMax', [p, g.int(-1)], [['output_type', 'type', DT.int32]]);
  return g.sum(g.cast(g.op1('Equal', [predicted, g.cast(classes, DT.int32)]), DT.float32), [0]);
}
