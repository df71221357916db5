/**
 * The layering the folders promise, checked on the import graph of our own files (run-time
 * imports only: type-only ones vanish when the code runs). One table says, for each folder,
 * whether TensorFlow.js may be loaded (directly or through any of our modules it loads) and
 * which of our folders it may not import. `engine/` alone may load TensorFlow.js; the API, the
 * worker's parent process (its event loop renews BullMQ's locks) and upload parsing never do.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

interface Rule {
  /** May a module of this folder load TensorFlow.js, itself or through what it loads? */
  tensorflow: boolean;
  /** Our folders (or files) it must not import, save the listed exceptions. */
  forbidden: string[];
  allowed?: string[];
}

/** The use cases: each a folder of its own, called by the API (and jobs/ by the worker too). */
const USE_CASES = ['jobs/', 'comparisons/', 'lr-finder/', 'datasets/', 'models/'];
const PURE = ['api/', ...USE_CASES, 'worker/', 'store/', 'engine/', 'cli/'];
/** A use case may import domain/, store/, the other use cases, errors, config and the queue; never a caller of it. */
const USE_CASE: Rule = { tensorflow: false, forbidden: ['api/', 'worker/', 'engine/', 'cli/'] };
const RULES: Record<string, Rule> = {
  'domain/': { tensorflow: false, forbidden: PURE },
  'ingest/': { tensorflow: false, forbidden: PURE },
  'analysis/': { tensorflow: false, forbidden: PURE },
  'pictures/': { tensorflow: false, forbidden: PURE },
  'playground/': { tensorflow: false, forbidden: ['api/', ...USE_CASES, 'worker/', 'store/', 'cli/'] },
  'store/': { tensorflow: false, forbidden: ['api/', ...USE_CASES, 'worker/', 'engine/', 'cli/'] },
  // The use cases on jobs (submit, cancel, continue, record the outcome): called by the API and
  // the worker, they call neither.
  'jobs/': USE_CASE,
  // Comparisons and searches, learning-rate range tests, uploaded datasets and models: called by the API only.
  'comparisons/': USE_CASE,
  'lr-finder/': USE_CASE,
  'datasets/': USE_CASE,
  'models/': USE_CASE,
  'api/': { tensorflow: false, forbidden: ['worker/', 'engine/', 'cli/'] },
  // The worker records outcomes through jobs/; the other use cases are the API's.
  'worker/': { tensorflow: false, forbidden: ['api/', 'comparisons/', 'lr-finder/', 'datasets/', 'models/', 'engine/', 'cli/'] },
  // The training child reads uploaded datasets from PostgreSQL itself (they are too large for IPC).
  'engine/': { tensorflow: true, forbidden: ['api/', ...USE_CASES, 'worker/', 'store/', 'cli/'], allowed: ['store/datasets.ts'] },
  'cli/': { tensorflow: false, forbidden: ['api/', ...USE_CASES, 'worker/', 'store/', 'engine/'] },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Run-time imports (`import … from`, `export … from`, `import '…'`, `import('…')`); with
 * `types`, type-only ones too (they vanish at run time, so they load nothing, but a folder that
 * may not depend on another may not borrow its types either).
 */
function importsOf(file: string, types = false): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const from = types ? /^(?:import|export)\s+[^'"]*?from\s+'([^']+)'/gm : /^(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm;
  for (const m of text.matchAll(from)) specs.push(m[1]);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) specs.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specs.push(m[1]);
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

const ruleOf = (file: string) => Object.entries(RULES).find(([folder]) => rel(file).startsWith(folder));

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('every folder under src/ has a rule (a new folder must say where it stands)', () => {
    const folders = new Set(
      files
        .map(rel)
        .filter((f) => f.includes('/'))
        .map((f) => `${f.split('/')[0]}/`),
    );
    assert.deepEqual(
      [...folders].filter((f) => !RULES[f]),
      [],
    );
  });

  for (const [folder, rule] of Object.entries(RULES)) {
    it(`${folder} imports none of ${rule.forbidden.join(', ')}${rule.allowed ? ` (but ${rule.allowed.join(', ')})` : ''}`, () => {
      for (const file of files.filter((f) => rel(f).startsWith(folder))) {
        for (const spec of importsOf(file, true)) {
          const target = rel(resolve(file, spec));
          if (rule.allowed?.includes(target)) continue;
          assert.ok(!rule.forbidden.some((f) => target.startsWith(f)), `${rel(file)} imports ${target}`);
        }
      }
    });
    if (!rule.tensorflow) {
      it(`${folder} never loads TensorFlow.js, not even through our other modules`, () => {
        for (const file of files.filter((f) => rel(f).startsWith(folder))) {
          const loaded = [...closure(file)].filter((m) => m.startsWith('@tensorflow/'));
          assert.deepEqual(loaded, [], `${rel(file)} loads ${loaded.join(', ')}`);
        }
      });
    }
  }

  it('only engine/ imports TensorFlow.js directly', () => {
    const importers = files.filter((f) => importsOf(f).some((s) => s.startsWith('@tensorflow/'))).map(rel);
    assert.deepEqual(
      importers.filter((f) => !ruleOf(path.join(SRC, f))?.[1].tensorflow),
      [],
    );
  });

  it('the entry points keep to their side: main.ts (API and worker parent) loads no TensorFlow.js', () => {
    const loaded = [...closure(path.join(SRC, 'main.ts'))].filter((m) => m.startsWith('@tensorflow/'));
    assert.deepEqual(loaded, []);
  });

  it('the check finds an import of TensorFlow.js when there is one', () => {
    // The training loop does import it: if this failed, the tests above would prove nothing.
    assert.ok([...closure(path.join(SRC, 'engine/train.ts'))].includes('@tensorflow/tfjs'));
    assert.ok([...closure(path.join(SRC, 'engine/trainer-child.ts'))].includes('@tensorflow/tfjs'));
    assert.ok([...closure(path.join(SRC, 'engine/playground-child.ts'))].includes('@tensorflow/tfjs'));
  });
});
