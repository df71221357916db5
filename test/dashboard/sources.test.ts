/**
 * The dashboard keeps one source for every fact: its types are generated from the OpenAPI
 * document and are the current document's (`npm test` and `npm run typecheck` regenerate them
 * before `tsc -p web`, which checks the pages against them), its lists and formulas come from the service's
 * pure modules, which bundle for the browser without Node or TensorFlow.js, and its modules
 * import each other without a cycle. The lists themselves are checked in the browser
 * (browser.test.ts: the form offers OPTIMIZER_NAMES, the playground FUNCTION_NAMES).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { openApiDocument, WEB_TYPES_FILE, webTypes } from '../../scripts/web-types.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WEB_SRC = path.join(ROOT, 'web', 'src');

/** The service's modules the dashboard may bundle: pure, and free of Node and TensorFlow.js. */
const SHARED = [/^src\/domain\//, /^src\/playground\/functions\.ts$/, /^src\/analysis\/smoothing\.ts$/, /^src\/errors\.ts$/];
/** The browser libraries it bundles (d3's own dependencies included). */
const LIBRARIES = /(^|\/)node_modules\/(uplot|d3-[a-z]+|internmap)\//;
/** Well above today's 97 KB: what passes it has pulled in something heavy (TensorFlow.js is megabytes). */
const MAX_BUNDLE_BYTES = 160_000;

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Each module's relative imports (type-only ones too: a cycle of types is still a tangle). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s+'(\.[^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]));
    graph.set(
      file,
      targets.filter((t) => files.includes(t)),
    );
  }
  return graph;
}

/** One cycle of `graph` as a path that ends where it starts, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('the dashboard has one source for every fact', () => {
  it('its generated types are those of the current OpenAPI document (else: npm run web:types)', async () => {
    const document = await openApiDocument();
    const onDisk = readFileSync(WEB_TYPES_FILE, 'utf8');
    assert.ok(onDisk === (await webTypes(document)), `${path.relative(ROOT, WEB_TYPES_FILE)} is stale: run npm run web:types`);
    // Control: a document with one field of the job answer less generates other types.
    const changed = structuredClone(document) as { paths: Record<string, any> };
    delete changed.paths['/v1/jobs/{id}'].get.responses['200'].content['application/json'].schema.properties.progress;
    assert.notEqual(await webTypes(changed), onDisk);
  });

  it('bundles for the browser with only the pure modules of src/ and browser libraries, and stays small', async () => {
    const result = await build({
      entryPoints: [path.join(WEB_SRC, 'main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser', // a Node built-in (node:fs…) fails the build
      minify: true,
      write: false,
      outdir: path.join(ROOT, 'dist', 'web-check'),
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(ROOT, path.resolve(ROOT, p)).split(path.sep).join('/'));
    const foreign = inputs.filter((p) => !p.startsWith('web/src/') && !LIBRARIES.test(p) && !SHARED.some((re) => re.test(p)));
    assert.deepEqual(foreign, [], 'bundled modules that are neither the dashboard, its libraries nor the shared pure modules');
    assert.ok(
      inputs.some((p) => p === 'src/domain/optimizer.ts'),
      'the optimizer names come from src/domain/optimizer.ts',
    );
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
    assert.ok(js.contents.length < MAX_BUNDLE_BYTES, `the bundle is ${js.contents.length} bytes`);
  });

  it('its modules import each other without a cycle (pages import navigation.ts, not main.ts)', () => {
    const graph = importGraph(sourcesOf(WEB_SRC));
    assert.ok(graph.size >= 15, `read ${graph.size} modules of web/src`);
    const cycle = findCycle(graph);
    assert.equal(cycle && cycle.map((f) => path.relative(WEB_SRC, f)).join(' -> '), null);
    // Control: the same check finds a cycle of three.
    const abc = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(findCycle(abc), ['a', 'b', 'c', 'a']);
  });
});
