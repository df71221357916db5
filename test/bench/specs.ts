/**
 * The workloads of `npm run bench`, as job requests: the same spec is submitted to the service,
 * rebuilt by hand in the bare TensorFlow.js loop (bare-tf.ts) and in PyTorch (torch_bench.py).
 */
export type ModelName = 'mlp' | 'cnn';

/** Both models: mnist, 8,000 examples, 2 epochs, batch 64, Adam lr 0.001, no validation. */
export const MNIST_SAMPLES = 8000;
export const EPOCHS = 2;
export const BATCH = 64;
export const LEARNING_RATE = 0.001;

export function mnistJob(model: ModelName, seed = 1) {
  const layers =
    model === 'mlp'
      ? [
          { type: 'dense', units: 128, activation: 'relu' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ]
      : [
          { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ];
  return {
    name: `bench-${model}`,
    dataset: { builtin: 'mnist', samples: MNIST_SAMPLES, shape: model === 'mlp' ? 'flat' : 'image' },
    model: { layers, loss: 'categoricalCrossentropy' },
    optimizer: { name: 'adam', learningRate: LEARNING_RATE },
    training: { epochs: EPOCHS, batchSize: BATCH, validationSplit: 0, seed },
  };
}

/**
 * The metric path: a model so small that recording its steps, not computing them, should be
 * the bottleneck. xor, 2 examples per batch, dense 4 → dense 1: 1,000 steps an epoch.
 */
export const XOR_SAMPLES = 2000;
export const XOR_BATCH = 2;
export const XOR_EPOCHS = 5;

export function xorJob(seed = 1, epochs = XOR_EPOCHS) {
  return {
    name: 'bench-metrics',
    dataset: { builtin: 'xor', samples: XOR_SAMPLES },
    model: {
      layers: [
        { type: 'dense', units: 4, activation: 'tanh' },
        { type: 'dense', units: 1, activation: 'sigmoid' },
      ],
      loss: 'binaryCrossentropy',
    },
    optimizer: { name: 'sgd', learningRate: 0.05 },
    training: { epochs, batchSize: XOR_BATCH, validationSplit: 0, seed },
  };
}

/** The request the API benchmark POSTs: the smallest job, one epoch of a small xor. */
export function tinyJob() {
  return {
    name: 'bench-api',
    dataset: { builtin: 'xor', samples: 16 },
    model: {
      layers: [
        { type: 'dense', units: 2, activation: 'tanh' },
        { type: 'dense', units: 1, activation: 'sigmoid' },
      ],
      loss: 'binaryCrossentropy',
    },
    optimizer: { name: 'sgd', learningRate: 0.1 },
    training: { epochs: 1, batchSize: 8, seed: 1 },
  };
}
