/**
 * The suite's reporter (package.json's "test"): Node's own (TAP, or spec on a terminal) with the
 * coverage of src/ (--experimental-test-coverage: the test processes and the processes they start
 * that exit on their own, such as training children) as a short summary, printed before Node's
 * `# tests/# pass/# fail` lines so that those stay the output's last lines (CI reads them).
 * Node 20's full table would list every test file too, and has no option to leave them out.
 * JavaScript, not TypeScript: Node loads reporters before tsx's hooks are in place.
 */
import { spec, tap } from 'node:test/reporters';

/** The run's closing diagnostics (nesting 0), held back until after the coverage. */
const CLOSING = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;
/** The least covered files of src/ listed by name. */
const WORST = 10;

const percent = (covered, total) => (total === 0 ? '100.00' : ((100 * covered) / total).toFixed(2));

/** The coverage of src/ as diagnostic lines: totals, then the least covered files. */
function summary(files, root) {
  const src = files.filter((f) => f.path.startsWith(`${root}/src/`) && !f.path.includes('/src/store/generated/'));
  const sum = (key) => src.reduce((n, f) => n + f[key], 0);
  const lines = [
    `coverage of src/ (${src.length} files): lines ${percent(sum('coveredLineCount'), sum('totalLineCount'))} %, ` +
      `branches ${percent(sum('coveredBranchCount'), sum('totalBranchCount'))} %, ` +
      `functions ${percent(sum('coveredFunctionCount'), sum('totalFunctionCount'))} %`,
  ];
  const worst = [...src].sort((a, b) => a.coveredLineCount / a.totalLineCount - b.coveredLineCount / b.totalLineCount).slice(0, WORST);
  for (const f of worst)
    lines.push(`  ${percent(f.coveredLineCount, f.totalLineCount).padStart(6)} % lines  ${f.path.slice(root.length + 1)}`);
  return lines;
}

export default async function* reporter(source) {
  const root = process.cwd();
  async function* reordered() {
    const closing = [];
    for await (const event of source) {
      if (event.type === 'test:diagnostic' && event.data.nesting === 0 && CLOSING.test(event.data.message)) {
        closing.push(event);
      } else if (event.type === 'test:coverage') {
        for (const message of summary(event.data.summary.files, root)) yield { type: 'test:diagnostic', data: { nesting: 0, message } };
      } else {
        yield event;
      }
    }
    yield* closing;
  }
  const base = process.stdout.isTTY ? spec : tap;
  yield* base(reordered());
}
