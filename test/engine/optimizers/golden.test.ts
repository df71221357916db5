/**
 * Golden values published in Keras 3's own tests (keras-team/keras, keras/src/optimizers/
 * <name>_test.py), reproduced with the same inputs and the same tolerances (rtol = atol = 5e-4
 * for `test_correctness_with_golden`, 1e-4 for `test_single_step`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createOptimizer, parseOptimizerSpec } from '../../../src/engine/optimizers/index.ts';
import { uniqueName, variableOf } from './helpers.ts';
import { onEachBackend } from './backends.ts';

function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tol + tol * Math.abs(expected[i]);
    assert.ok(ok, `${what}[${i}]: got ${actual[i]}, Keras expects ${expected[i]}`);
  }
}

const tile = (column: number[]): number[][] => column.map((x) => Array<number>(10).fill(x));

/**
 * test_correctness_with_golden: x = ones(10); one update with gradient 0.01 everywhere, then
 * updates with arange(0.1, 1.1, 0.1); golden[i] is x after the first update and i more.
 */
const GOLDEN: Array<{ file: string; spec: Record<string, unknown>; golden: number[][] }> = [
  {
    file: 'sgd_test.py (SGD(nesterov=True))',
    spec: { name: 'sgd', nesterov: true },
    golden: [
      [0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999],
      [0.9989, 0.9979, 0.9969, 0.9959, 0.9949, 0.9939, 0.9929, 0.9919, 0.9909, 0.9899],
      [0.9979, 0.9959, 0.9939, 0.9919, 0.9899, 0.9879, 0.9859, 0.9839, 0.9819, 0.9799],
      [0.9969, 0.9939, 0.9909, 0.9879, 0.9849, 0.9819, 0.9789, 0.9759, 0.9729, 0.9699],
      [0.9959, 0.9919, 0.9879, 0.9839, 0.9799, 0.9759, 0.9719, 0.9679, 0.9639, 0.9599],
    ],
  },
  {
    file: 'adagrad_test.py',
    spec: { name: 'adagrad', learningRate: 0.2, initialAccumulatorValue: 0.3, epsilon: 1e-6 },
    golden: [
      [0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963],
      [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
      [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
      [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
      [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825],
    ],
  },
  {
    file: 'adadelta_test.py',
    spec: { name: 'adadelta', learningRate: 1, rho: 0.8, epsilon: 1e-6 },
    golden: tile([0.9978, 0.9947, 0.9915, 0.9882, 0.9849]),
  },
  {
    file: 'rmsprop_test.py (RMSprop(centered=True))',
    spec: { name: 'rmsprop', centered: true },
    golden: tile([0.9967, 0.9933, 0.9908, 0.9885, 0.9864]),
  },
  {
    file: 'adam_test.py (Adam(amsgrad=True))',
    spec: { name: 'adam', amsgrad: true },
    golden: tile([0.999, 0.9982, 0.9974, 0.9965, 0.9955]),
  },
  {
    file: 'adamw_test.py',
    spec: { name: 'adamw', learningRate: 1, weightDecay: 0.5, epsilon: 2 },
    golden: [
      [0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998],
      [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
      [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
      [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
      [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159],
    ],
  },
  {
    file: 'adamax_test.py',
    spec: { name: 'adamax', learningRate: 0.2, beta1: 0.85, beta2: 0.95, epsilon: 1e-6 },
    golden: [
      [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
      [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691],
      [0.5333, 0.5407, 0.5431, 0.5444, 0.5451, 0.5456, 0.546, 0.5462, 0.5464, 0.5466],
      [0.368, 0.3773, 0.3804, 0.382, 0.3829, 0.3835, 0.384, 0.3843, 0.3846, 0.3848],
      [0.1933, 0.204, 0.2076, 0.2094, 0.2105, 0.2112, 0.2117, 0.2121, 0.2124, 0.2126],
    ],
  },
  {
    file: 'nadam_test.py',
    spec: { name: 'nadam', learningRate: 0.5, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 },
    golden: [
      [0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281],
      [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
      [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
      [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
      [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454],
    ],
  },
  { file: 'lion_test.py (Lion())', spec: { name: 'lion' }, golden: tile([0.999, 0.998, 0.997, 0.996, 0.995]) },
];

function apply(spec: Record<string, unknown>, initial: number[], gradients: number[][]): number[][] {
  const opt = createOptimizer(parseOptimizerSpec(spec));
  const x = variableOf(tf.tensor1d(initial), uniqueName('golden'));
  const seen: number[][] = [];
  for (const g of gradients) {
    const grad = tf.tensor1d(g);
    opt.applyGradients([{ name: x.name, tensor: grad }]);
    grad.dispose();
    seen.push(Array.from(x.dataSync()));
  }
  x.dispose();
  opt.dispose();
  return seen;
}

// Not re-indented, to keep this diff small: the formatting pass after the merges indents it.
onEachBackend(() => {
  describe('Keras 3 test_correctness_with_golden', () => {
    const first = Array<number>(10).fill(0.01);
    const ramp = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
    for (const { file, spec, golden } of GOLDEN) {
      test(file, () => {
        const seen = apply(spec, Array<number>(10).fill(1), [first, ramp, ramp, ramp, ramp]);
        golden.forEach((row, i) => assertAllClose(seen[i], row, 5e-4, `after update ${i + 1}`));
      });
    }
  });

  /** test_single_step: x = [1, 2, 3, 4], gradient [1, 6, 7, 2], learning_rate=0.5, one update. */
  const SINGLE_STEP: Array<[string, number[]]> = [
    ['sgd', [0.5, -1.0, -0.5, 3.0]],
    ['adagrad', [0.5233, 1.5007, 2.5005, 3.5061]],
    ['adadelta', [0.9993, 1.9993, 2.9993, 3.9993]],
    ['rmsprop', [-0.5811, 0.4189, 1.4189, 2.4189]],
    ['adam', [0.5, 1.5, 2.5, 3.5]],
    ['adamw', [0.498, 1.496, 2.494, 3.492]],
    ['adamax', [0.5, 1.5, 2.5, 3.5]],
    ['nadam', [0.4686, 1.4686, 2.4686, 3.4686]],
    ['lion', [0.5, 1.5, 2.5, 3.5]],
  ];

  describe('Keras 3 test_single_step (learning rate 0.5, other options default)', () => {
    for (const [name, expected] of SINGLE_STEP) {
      test(`${name}_test.py`, () => {
        const [after] = apply({ name, learningRate: 0.5 }, [1, 2, 3, 4], [[1, 6, 7, 2]]);
        assertAllClose(after, expected, 1e-4, name);
      });
    }
  });

  describe('Keras 3 test_weight_decay: x = 2, zero gradient, lr 1, weight_decay 0.004, three updates', () => {
    // Keras applies three optimizers to the same variable; each decays it once: 2 * 0.996^3.
    for (const name of ['sgd', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw', 'adamax', 'nadam', 'lion']) {
      test(`${name}_test.py: 1.9760959`, () => {
        const seen = apply({ name, learningRate: 1, weightDecay: 0.004 }, [2], [[0], [0], [0]]);
        assertAllClose(seen[2], [1.9760959], 1e-6, name);
      });
    }
  });

  describe('Keras 3 test_clip_norm / test_clip_value: gradient [100, 100]', () => {
    test('clipNorm 1 gives [sqrt(2)/2, sqrt(2)/2] (seen through one SGD step of lr 1)', () => {
      const [after] = apply({ name: 'sgd', learningRate: 1, clipNorm: 1 }, [0, 0], [[100, 100]]);
      assertAllClose(after, [-Math.SQRT1_2, -Math.SQRT1_2], 1e-6, 'x');
    });
    test('clipValue 1 gives [1, 1]', () => {
      const [after] = apply({ name: 'sgd', learningRate: 1, clipValue: 1 }, [0, 0], [[100, 100]]);
      assertAllClose(after, [-1, -1], 1e-6, 'x');
    });
    test('globalClipNorm 1 over one tensor gives the same as clipNorm 1', () => {
      const [after] = apply({ name: 'sgd', learningRate: 1, globalClipNorm: 1 }, [0, 0], [[100, 100]]);
      assertAllClose(after, [-Math.SQRT1_2, -Math.SQRT1_2], 1e-6, 'x');
    });
  });

  describe('Keras 3 RMSprop docstring example', () => {
    test('RMSprop(learning_rate=0.1), var 10, loss var^2 / 2: one minimize gives 9.683772', () => {
      const opt = createOptimizer(parseOptimizerSpec({ name: 'rmsprop', learningRate: 0.1 }));
      const v = variableOf(tf.scalar(10), uniqueName('doc'));
      opt.minimize(() => tf.div<tf.Scalar>(tf.square(v), 2), false, [v]);
      assertAllClose(v.dataSync(), [9.683772], 1e-6, 'var1');
      v.dispose();
      opt.dispose();
    });
  });
});
