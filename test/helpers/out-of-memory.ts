/**
 * A job that runs out of a 64 MiB wasm ceiling at its first step: the first layer's output alone
 * is 28·28·512 values × 64 examples × 4 bytes = 102,760,448 bytes (98 MiB). The admission limit
 * must be raised for it to be queued.
 */
export const OUT_OF_MEMORY_JOB = {
  dataset: { builtin: 'mnist', samples: 64 },
  model: {
    layers: [
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 4 },
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
    loss: 'sparseCategoricalCrossentropy',
  },
  optimizer: { name: 'adam' },
  training: { epochs: 1, batchSize: 64, seed: 1 },
};

/** The words its failure must have, under a 64 MiB ceiling. */
export const OUT_OF_MEMORY_ERROR = [
  /^training ran out of memory: this job needs more than the 64\.0 MiB a training process may use/,
  /model\.layers\[0\] \(dense, output \[28,28,512\] per example\)/,
  /Reduce training\.batchSize/,
];
