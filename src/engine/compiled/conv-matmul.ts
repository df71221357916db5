/**
 * A convolution, and the max-pooling right after it, as one MatMul over the image's patches.
 *
 * TensorFlow's CPU kernels for a convolution with few input channels, its filter gradient
 * (Conv2DBackpropFilter) and MaxPoolGrad took ~80% of the bench CNN's step (28×28×1, 3×3×8,
 * pool 2): each is a general kernel that does little arithmetic per element it touches. As a
 * MatMul, the forward pass and the filter gradient are two small GEMMs TensorFlow does fast,
 * and the pooling becomes an elementwise maximum:
 *
 *   patches  P[(py, px, b, i, j), (dy, dx, c)] = x[b, PH·i + py + dy, PW·j + px + dx, c]
 *   conv     Y = act(P · K + bias),  K = kernel reshaped to [KH·KW·C, F]
 *   pool     out[b, i, j, f] = max over (py, px) of Y[(py, px, b, i, j), f]
 *
 * The rows run over the pooling window's offset first, so the window's PH·PW members are PH·PW
 * contiguous blocks of Y, folded with Maximum in the window's row-major order. Maximum's gradient
 * goes to its first argument on a tie (x ≥ y), so ties go to the window's first maximum as
 * MaxPool's do. Without a pooling after it, PH = PW = 1. The patches are built with KH·KW
 * contiguous Slices, one Pack and one Transpose; 'same' padding is a Pad of zeros first.
 *
 * The same sums in another order: the compiled step still matches the eager path to float32
 * rounding (test/engine/compiled.test.ts), not bit for bit.
 */
import type { LayerOf } from '../../domain/layers.ts';
import type { Ref } from './addon.ts';
import type { Graph } from './graph.ts';

type Conv = LayerOf<'conv2d'>;
type MaxPool = LayerOf<'maxPooling2d'>;

/** Taps (KH·KW) up to which the MatMul form is used: the patches take KH·KW times the image's memory. */
const MAX_TAPS = 64;

/**
 * Whether `conv` takes the MatMul form: stride 1, no dilation, one input channel (a grayscale
 * image's first layer). Measured on the bench CNN: ~13 ms a step with Conv2D, ~4.2 ms as a
 * MatMul. With 3 or 7 input channels it was slower than Conv2D (the Transpose of patches whose
 * inner axis is a few channels wide), so those keep Conv2D.
 */
export function convAsMatMul(conv: Conv, inputChannels: number): boolean {
  const [kh, kw] = conv.kernelSize;
  return (
    inputChannels === 1 &&
    conv.strides[0] === 1 &&
    conv.strides[1] === 1 &&
    conv.dilationRate[0] === 1 &&
    conv.dilationRate[1] === 1 &&
    kh * kw <= MAX_TAPS
  );
}

/** Whether the max-pooling after such a convolution folds into it: windows that tile the image. */
export function poolFolds(pool: MaxPool): boolean {
  return pool.padding === 'valid' && pool.strides[0] === pool.poolSize[0] && pool.strides[1] === pool.poolSize[1];
}

/**
 * act(conv(x) + bias), then the max-pooling `pool` when given, for NHWC `x`. `activate` applies
 * the layer's activation. Answers [batch, OH', OW', F].
 */
export function convolveAsMatMul(
  g: Graph,
  x: Ref,
  conv: Conv,
  kernel: Ref,
  bias: Ref | undefined,
  activate: (x: Ref) => Ref,
  pool: MaxPool | undefined,
): Ref {
  const [kh, kw] = conv.kernelSize;
  const f = conv.filters;
  let input = x;
  if (conv.padding === 'same') {
    // TensorFlow's SAME for stride 1: K − 1 zeros per axis, the smaller half before.
    const pads = [0, 0, (kh - 1) >> 1, kh - 1 - ((kh - 1) >> 1), (kw - 1) >> 1, kw - 1 - ((kw - 1) >> 1), 0, 0];
    input = g.op1('Pad', [x, g.reshape(g.ints(pads), [4, 2])]);
  }
  const shape = g.shape(input);
  if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d < 0)) throw new Error('conv2d: the input shape must be known');
  const [, h, w, c] = shape;
  const [ph, pw] = pool ? pool.poolSize : [1, 1];
  const rows = Math.floor((h - kh + 1) / ph);
  const cols = Math.floor((w - kw + 1) / pw);

  // KH·KW windows of the input, each [B, rows·PH, cols·PW, C], stacked: [KH·KW, B, …].
  const windows: Ref[] = [];
  for (let dy = 0; dy < kh; dy++)
    for (let dx = 0; dx < kw; dx++) windows.push(g.op1('Slice', [input, g.ints([0, dy, dx, 0]), g.ints([-1, rows * ph, cols * pw, c])]));
  const stacked = g.reshape(g.op1('Pack', [windows], [['axis', 'int', 0]]), [kh * kw, -1, rows, ph, cols, pw, c]);
  // → [PH, PW, B, rows, cols, KH·KW, C]: a row per (pool offset, position), a column per (tap, channel).
  const patches = g.reshape(g.op1('Transpose', [stacked, g.ints([3, 5, 1, 2, 4, 0, 6])]), [-1, kh * kw * c]);

  let y = g.op1('MatMul', [patches, g.reshape(kernel, [kh * kw * c, f])]);
  if (bias) y = g.op1('BiasAdd', [y, bias]);
  y = activate(y);
  if (ph * pw > 1) {
    const blocks = g.op(
      'Unpack',
      [g.reshape(y, [ph * pw, -1, f])],
      [
        ['num', 'int', ph * pw],
        ['axis', 'int', 0],
      ],
    );
    y = blocks.reduce((max, block) => g.maximum(max, block));
  }
  return g.reshape(y, [-1, rows, cols, f]);
}
