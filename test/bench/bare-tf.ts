/**
 * Column (a) of the bench: the simplest honest TensorFlow.js training loop, in one process,
 * without the service. Run by run.ts as its own process (a fresh tfjs engine, nothing else on
 * its event loop):
 *
 *   node --import tsx test/bench/bare-tf.ts <mlp|cnn|xor> <tfadam|ouradam|train> [backend] [runs]
 *
 * - tfadam: tf.sequential with the same layers, tf.train.adam (tf.train.sgd for xor), batches
 *   copied from the dataset's Float32Array into fresh tensors, one `optimizer.minimize` per
 *   batch, the loss read back (dataSync) every step. This is the baseline.
 * - ouradam: the same loop with our optimizer (src/optimizers), to tell the optimizer's cost
 *   from the loop's.
 * - train: our `train()` in this process with no-op hooks: the service's training loop without
 *   IPC, queue or database (a diagnostic, not the baseline).
 *
 * Timed: both epochs, i.e. shuffling, batch building, tensor upload, forward, backward, update
 * and the per-step loss read. Not timed: backend start, data generation, model building. A
 * throw-away run first warms the backend's kernels (the service's child is warm too).
 * Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../src/engine/backend.ts';
import { generateDataset } from '../../src/engine/builtin-datasets.ts';
import { parseDatasetSpec } from '../../src/domain/dataset.ts';
import { createOptimizer } from '../../src/engine/optimizers/registry.ts';
import { parseOptimizerSpec } from '../../src/domain/optimizer.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { train } from '../../src/engine/train.ts';
import { mnistJob, xorJob } from './specs.ts';

type Workload = 'mlp' | 'cnn' | 'xor';
type Variant = 'tfadam' | 'ouradam' | 'train';

const workload = process.argv[2] as Workload;
const variant = (process.argv[3] ?? 'tfadam') as Variant;
const backendChoice = (process.argv[4] ?? 'auto') as BackendName | 'auto';
const runs = Number(process.argv[5] ?? 2);
if (!['mlp', 'cnn', 'xor'].includes(workload) || !['tfadam', 'ouradam', 'train'].includes(variant)) {
  console.error('usage: bare-tf.ts <mlp|cnn|xor> <tfadam|ouradam|train> [backend] [runs]');
  process.exit(2);
}

const request = workload === 'xor' ? xorJob() : mnistJob(workload);
const limits = { maxEpochs: 1000, maxBatchSize: 8192, maxParameters: 5_000_000 };
const { backend } = await initBackend(backendChoice);

function buildLayers(): tf.Sequential {
  const model = tf.sequential();
  if (workload === 'mlp') {
    model.add(tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else if (workload === 'cnn') {
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    model.add(tf.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  }
  return model;
}

/** Seeded shuffle (mulberry32 + Fisher–Yates): the loop's own, not our random.ts. */
function shuffle(order: Int32Array, seed: number): void {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}

/** One full training run of the hand-written loop; answers the seconds of its epochs. */
function bareRun(data: ReturnType<typeof generateDataset>, ours: boolean): { seconds: number; steps: number; lastLoss: number } {
  const model = buildLayers();
  const optimizer: tf.Optimizer = ours
    ? createOptimizer(parseOptimizerSpec(request.optimizer))
    : workload === 'xor'
      ? tf.train.sgd(request.optimizer.learningRate)
      : tf.train.adam(request.optimizer.learningRate, 0.9, 0.999, 1e-7);
  const { epochs, batchSize } = request.training;
  const n = data.count;
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  const classes = workload === 'xor' ? 1 : 10;
  const x = new Float32Array(batchSize * width);
  const y = new Float32Array(batchSize * classes);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let steps = 0;
  let lastLoss = NaN;
  const started = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, epoch);
    for (let from = 0; from < n; from += batchSize) {
      const rows = Math.min(batchSize, n - from);
      y.fill(0);
      for (let r = 0; r < rows; r++) {
        const e = order[from + r];
        x.set(data.features.subarray(e * width, (e + 1) * width), r * width);
        if (classes === 1) y[r] = data.targets[e];
        else y[r * classes + data.targets[e]] = 1;
      }
      const xs = tf.tensor(x.slice(0, rows * width), [rows, ...data.featureShape]);
      const ys = tf.tensor(y.slice(0, rows * classes), [rows, classes]);
      const cost = optimizer.minimize(() => {
        const pred = model.apply(xs, { training: true }) as tf.Tensor;
        const perExample = classes === 1 ? tf.metrics.binaryCrossentropy(ys, pred) : tf.metrics.categoricalCrossentropy(ys, pred);
        return tf.mean<tf.Scalar>(perExample);
      }, true) as tf.Scalar;
      lastLoss = cost.dataSync()[0];
      cost.dispose();
      xs.dispose();
      ys.dispose();
      steps++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  optimizer.dispose();
  return { seconds, steps, lastLoss };
}

/** One run of our train() with no-op hooks (steps and epochs are dropped, as if recorded for free). */
async function trainRun(): Promise<{ seconds: number; steps: number; lastLoss: number }> {
  const { spec, plan } = parseJobSpec(request, limits, () => 1);
  let steps = 0;
  const started = performance.now();
  const result = await train(spec, plan, {
    onStep: () => {
      steps++;
    },
    onEpoch: () => {},
    stopRequested: () => undefined,
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, steps, lastLoss: result.finalLoss ?? NaN };
}

const data = generateDataset(parseDatasetSpec(request.dataset), 1);
const samples = data.count * request.training.epochs;
const once = () => (variant === 'train' ? trainRun() : Promise.resolve(bareRun(data, variant === 'ouradam')));
const warmup = await once();
const measured = [];
for (let i = 0; i < runs; i++) measured.push(await once());
const seconds = measured.reduce((s, r) => s + r.seconds, 0) / measured.length;
console.log(
  JSON.stringify({
    workload,
    variant,
    backend,
    samples,
    steps: measured[0].steps,
    warmupSeconds: warmup.seconds,
    runSeconds: measured.map((r) => r.seconds),
    seconds,
    samplesPerSecond: samples / seconds,
    stepsPerSecond: measured[0].steps / seconds,
    lastLoss: measured[measured.length - 1].lastLoss,
    note: variant === 'train' ? 'train() includes data generation and model building in its time' : undefined,
  }),
);
