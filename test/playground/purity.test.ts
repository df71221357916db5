/**
 * The API process never loads TensorFlow.js: the routes are checked by test/architecture.test.ts;
 * this checks the playground runner it creates (main.ts), whose child alone loads tfjs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Follows `entry`'s imports through our own files; fails on any import of @tensorflow. */
function assertNoTensorFlow(entry: string): void {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, target] of source.matchAll(/(?:from\s+|import\s*\(?\s*)'([^']+)'/g)) {
      assert.ok(!target.startsWith('@tensorflow'), `${file} imports ${target}`);
      if (target.startsWith('.')) visit(resolve(dirname(file), target));
    }
  };
  visit(resolve(SRC, entry));
}

test('src/playground/runner.ts imports no TensorFlow.js (only its child does)', () => {
  assertNoTensorFlow('playground/runner.ts');
  assert.throws(() => assertNoTensorFlow('playground/child.ts'), /imports @tensorflow/);
});
