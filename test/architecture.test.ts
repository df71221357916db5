/**
 * The layering the folders promise, checked on the import graph of our own files:
 * training/ and optimizers/ are a library (no api/, queue/, store/), and nothing the API
 * loads pulls in TensorFlow.js, directly or through another of our files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Static imports (`import … from '…'`, `export … from '…'`), type-only ones left out: they vanish at run time. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)) specs.push(m[1]);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) specs.push(m[1]);
  return specs;
}

const resolve = (from: string, spec: string) => (spec.startsWith('.') ? path.resolve(path.dirname(from), spec) : spec);
const rel = (file: string) => path.relative(SRC, file);

/** Every module `file` loads at run time, following our own files. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  for (const spec of importsOf(file)) {
    const target = resolve(file, spec);
    if (seen.has(target)) continue;
    seen.add(target);
    if (target.startsWith(SRC) && target.endsWith('.ts')) closure(target, seen);
  }
  return seen;
}

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('training/ and optimizers/ import nothing from api/, queue/ or store/', () => {
    for (const file of files.filter((f) => /^(training|optimizers)\//.test(rel(f)))) {
      for (const spec of importsOf(file)) {
        const target = rel(resolve(file, spec));
        assert.ok(!/^(api|queue|store)\//.test(target), `${rel(file)} imports ${target}`);
      }
    }
  });

  it('the API never loads TensorFlow.js, not even through our other modules', () => {
    for (const file of files.filter((f) => rel(f).startsWith('api/'))) {
      const loaded = [...closure(file)].filter((m) => m.startsWith('@tensorflow/'));
      assert.deepEqual(loaded, [], `${rel(file)} loads ${loaded.join(', ')}`);
    }
  });

  it('the check finds an import of TensorFlow.js when there is one', () => {
    // The training loop does import it: if this failed, the test above would prove nothing.
    assert.ok([...closure(path.join(SRC, 'training/train.ts'))].includes('@tensorflow/tfjs'));
  });
});
