/**
 * The builtin datasets' generators and the training child's cache of the last one: a cached
 * dataset must be the one train() would generate, so the cache may ignore the seed only where
 * the examples do not depend on it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateDataset, isSeeded } from '../../src/engine/builtin-datasets.ts';
import { builtinDataset } from '../../src/engine/dataset-cache.ts';
import { parseDatasetSpec } from '../../src/domain/dataset.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { BUILTIN_DATASETS, type BuiltinDatasetSpec } from '../../src/domain/dataset-types.ts';

const LIMITS = { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e6 };
const builtin = (name: string) => parseDatasetSpec({ builtin: name, samples: 40 }) as BuiltinDatasetSpec;

describe('builtin datasets', () => {
  for (const name of BUILTIN_DATASETS) {
    it(`${name}: the seed changes the examples exactly when isSeeded says so`, () => {
      const spec = builtin(name);
      const [a, b] = [generateDataset(spec, 1), generateDataset(spec, 2)];
      assert.deepEqual(generateDataset(spec, 1), a, 'the same seed gives the same examples');
      const same = a.features.every((v, i) => v === b.features[i]) && a.targets.every((v, i) => v === b.targets[i]);
      assert.equal(!same, isSeeded(spec));
    });
  }

  it('the cache serves jobs that differ only in a seed their dataset ignores, and no others', () => {
    const job = (dataset: { builtin: string; samples: number }, seed: number) =>
      parseJobSpec(
        {
          dataset,
          model: {
            layers: [{ type: 'dense', units: dataset.builtin === 'mnist' ? 10 : 2, activation: 'softmax' }],
            loss: 'sparseCategoricalCrossentropy',
          },
          optimizer: { name: 'sgd', learningRate: 0.1 },
          training: { epochs: 1, batchSize: 8, seed },
        },
        LIMITS,
        () => 0,
      ).spec;
    const mnist = { builtin: 'mnist', samples: 30, shape: 'flat' };
    const first = builtinDataset(job(mnist, 1));
    assert.equal(builtinDataset(job(mnist, 2)), first, 'mnist is the same examples whatever the seed: one generation');
    const xor1 = builtinDataset(job({ builtin: 'xor', samples: 30 }, 1));
    const xor2 = builtinDataset(job({ builtin: 'xor', samples: 30 }, 2));
    assert.notDeepEqual(xor2.features, xor1.features, 'xor is drawn from the seed: generated again');
  });
});
