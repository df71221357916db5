/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
 * service (PostgreSQL, Redis, an in-process worker). Submit a job from the form and watch its
 * chart grow, cancel it, see the API's message beside a bad option, run a comparison, the
 * playground and an upload — with no console error (a CSP violation is one). Screenshots go to
 * dist/dashboard-screenshots.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb } from '../../scripts/build-web.ts';
import { FUNCTION_NAMES } from '../../src/playground/functions.ts';
import { BUILTIN_DATASETS } from '../../src/domain/dataset-types.ts';
import { LOSSES } from '../../src/domain/model.ts';
import { OPTIMIZER_NAMES } from '../../src/domain/optimizer.ts';
import { SCHEDULE_TYPES } from '../../src/domain/schedules.ts';
import { launchChromium, noChromium as skip } from '../helpers/chromium.ts';
import { holdJobs } from '../helpers/hold.ts';
import { api } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { until } from '../helpers/until.ts';

/** The spirals job is held here (and at twice it) while the page shows it running; the other jobs end before. */
const HOLD_AT = 1000;
const hold = holdJobs(HOLD_AT);

const SHOTS = join(import.meta.dirname, '..', '..', 'dist', 'dashboard-screenshots');

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

let service: TestService;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
/** Console messages a step expects (the browser logs every 4xx a fetch receives). */
let expected: RegExp | null = null;
/** Ids made by the steps below, newest last. */
const made: string[] = [];

before(async () => {
  if (skip) return;
  await buildWeb();
  service = await startService({ worker: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(0); // the test's own timeout bounds every wait (see test/helpers/until.ts)
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected?.test(m.text())) return;
    consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await service?.close();
});

const shot = (name: string, fullPage = true) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
/**
 * Polls from Node (not page.waitForFunction: that evaluates in the page, where the dashboard's
 * own Content-Security-Policy forbids it).
 */
const points = async () => Number((await page.getAttribute('#loss-chart', 'data-points')) ?? '0');
const texts = async (selector: string) => (await page.locator(selector).allTextContents()).map((t) => t.trim());

test('the job list answers at / and names the page', { skip }, async () => {
  await page.goto(`${service.url}/`);
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  assert.equal(await page.title(), 'Jobs · trainer');
});

test('a job submitted from the form shows its chart growing while it runs, and cancels', { skip }, async () => {
  await page.getByRole('link', { name: 'New job' }).first().click();
  await page.getByRole('heading', { name: 'New job' }).waitFor();
  await page.getByLabel('Name').fill('spirals-live');
  await page.getByLabel('Dataset').selectOption('builtin:spirals');
  await page.getByLabel('Samples').fill('2000');
  // Held at steps 1,000 and 2,000 (helpers/hold.ts): the fused dense step would finish its 50,000
  // steps in seconds, and this job must still be running when the test cancels it.
  await page.getByLabel('Layers (JSON)').fill(
    JSON.stringify([
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 2, activation: 'softmax' },
    ]),
  );
  await page.getByLabel('Epochs').fill('200');
  await page.getByLabel('Batch size').fill('8');
  await page.getByRole('button', { name: 'Submit job' }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop() as string;
  made.push(id);

  const created = await api(service.url, 'GET', `/v1/jobs/${id}`);
  assert.equal(created.json.name, 'spirals-live');
  assert.deepEqual(created.json.spec.dataset, { builtin: 'spirals', samples: 2000, classes: 2, turns: 1, noise: 0.1 });
  assert.equal(created.json.spec.training.epochs, 200);

  await hold.reached(id);
  await until(async () => (await points()) > 0);
  const first = await points();
  hold.release(id, 2 * HOLD_AT); // it trains on while the page shows it, and is held again
  await hold.reached(id);
  await until(async () => (await points()) > first + 50);
  const later = await points();
  assert.ok(later > first, `the chart grew from ${first} to ${later} points`);
  await page.locator('#epochs tbody tr').first().waitFor();
  await shot('job-running');

  await page.getByRole('button', { name: 'Cancel' }).click(); // the cancel ends the hold
  await page.locator('.title-row [data-status="canceled"]').waitFor();
  const canceled = await api(service.url, 'GET', `/v1/jobs/${id}`);
  assert.equal(canceled.json.status, 'canceled');
  // Every recorded step reached the chart through the history and the event stream.
  const m = await api(service.url, 'GET', `/v1/jobs/${id}/metrics?points=10000`);
  await until(async () => (await points()) === m.json.steps);
  assert.ok(m.json.steps <= 2 * HOLD_AT, 'canceled where it was held, before the end');
});

test("a bad optimizer option is shown beside the optimizer options, with the API's message", { skip }, async () => {
  await page.goto(`${service.url}/new`);
  // The form's lists are the service's own (the pages import them from src/spec).
  assert.deepEqual(await texts('[data-field="optimizer.name"] option'), [...OPTIMIZER_NAMES]);
  assert.deepEqual((await texts('[data-field="model.loss"] option')).sort(), [...LOSSES].sort());
  assert.deepEqual(await texts('[data-field="optimizer.learningRate.type"] option'), ['constant', ...SCHEDULE_TYPES]);
  const builtins = (await texts('[data-field="dataset"] option')).filter((t) => t.endsWith(' (builtin)'));
  assert.deepEqual(
    builtins,
    BUILTIN_DATASETS.map((b) => `${b} (builtin)`),
  );
  await page.getByLabel('Optimizer options (JSON)').fill('{ "beta1": 2 }');
  expected = /status of 400/;
  await page.getByRole('button', { name: 'Submit job' }).click();
  const error = page.locator('[data-field="optimizer"] .field-error');
  await error.filter({ hasText: 'beta1' }).waitFor();
  expected = null;
  assert.equal(await error.textContent(), 'optimizer.beta1: must be in [0, 1), got 2');
  assert.equal(await page.getByLabel('Optimizer options (JSON)').getAttribute('aria-invalid'), 'true');
  assert.match(page.url(), /\/new$/);
  await shot('new-job-error');
});

test('"compare optimizers" submits a comparison whose page shows every variant and the best', { skip }, async () => {
  await page.goto(`${service.url}/new`);
  await page.getByLabel('Name').fill('iris: adam or sgd');
  await page.getByRole('switch').check();
  await page.getByLabel('Optimizers to compare').fill('adam 0.01\nsgd 0.1\nmomentum 0.05');
  await page.getByLabel('Epochs').fill('8');
  await page.getByRole('button', { name: 'Start comparison' }).click();
  await page.waitForURL(/\/comparisons\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop() as string;
  await page.locator('#comparison-chart[data-done="true"]').waitFor();
  const c = await api(service.url, 'GET', `/v1/comparisons/${id}`);
  assert.equal(c.json.status, 'completed');
  made.push(...c.json.jobs);
  assert.deepEqual(
    c.json.rows.map((r: { label: string }) => r.label),
    ['adam lr=0.01', 'sgd lr=0.1', 'momentum lr=0.05'],
  );
  const cells = await page.locator('#results tbody tr td:first-child').allTextContents();
  assert.deepEqual(
    cells.map((t) => t.trim()),
    ['adam lr=0.01', 'sgd lr=0.1', 'momentum lr=0.05'],
  );
  assert.equal((await page.textContent('#best'))?.startsWith(`Best: ${c.json.best.label}`), true);
  assert.equal(
    await page
      .locator('tr.is-best td:first-child')
      .textContent()
      .then((t) => t?.trim()),
    c.json.best.label,
  );
  // One line per variant in the chart's legend, plus the x series.
  assert.equal(await page.locator('#comparison-chart .u-legend .u-series').count(), 4);
  await shot('comparison');
});

test('a succeeded job downloads its model and continues from its weights and optimizer state', { skip }, async () => {
  await page.locator('#best a').click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
  const source = page.url().split('/').pop() as string;
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download model.json' }).click()]);
  assert.equal(file.suggestedFilename(), 'model.json');
  const { readFile } = await import('node:fs/promises');
  const model = JSON.parse(await readFile(await file.path(), 'utf8'));
  assert.equal(model.format, 'layers-model');
  assert.deepEqual(model.weightsManifest[0].paths, ['weights.bin']);

  await page.getByRole('button', { name: 'Continue training' }).click();
  await page.waitForURL((u) => /\/jobs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(source));
  const next = page.url().split('/').pop() as string;
  await page.locator('.title-row [data-status="succeeded"]').waitFor();
  // 8 epochs of ceil(120 / 16) = 8 steps each: the continuation's steps are numbered from 65.
  const m = await api(service.url, 'GET', `/v1/jobs/${next}/metrics?limit=1`);
  assert.equal(m.json.steps[0].step, 65);
  assert.equal(m.json.epochs[0].epoch, 9);
  made.push(next);
  await shot('job-succeeded');
});

test("the playground animates each optimizer's path over the contour plot", { skip }, async () => {
  await page.getByRole('link', { name: 'Playground' }).click();
  assert.deepEqual(await texts('#pg-function option'), [...FUNCTION_NAMES]);
  assert.deepEqual(await texts('#pg-form tbody label'), [...OPTIMIZER_NAMES]);
  await page.getByLabel('Function').selectOption('rosenbrock');
  await page.getByLabel('Steps').fill('150');
  // Every step the plot shows, recorded in the page as it changes (polling could miss them all on a busy machine).
  // (A string: this file is type-checked without the DOM's types.)
  await page.evaluate(`{
    const shown = (window.shownSteps = []);
    new MutationObserver((records) => {
      for (const r of records) shown.push(r.target.getAttribute('data-step'));
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-step'] });
  }`);
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#pg-plot[data-done="true"]').waitFor();
  const shown = await page.evaluate<string[]>('window.shownSteps');
  assert.ok(new Set(shown).size > 2, `drawn step by step (steps shown: ${[...new Set(shown)].join(', ')})`);
  assert.equal(await page.getAttribute('#pg-plot', 'data-step'), '150');
  assert.equal(await page.locator('#pg-plot polyline').count(), 3, 'sgd, momentum and adam are on by default');
  const legend = await page.locator('#pg-legend li').allTextContents();
  assert.equal(legend.length, 3);
  assert.match(legend[2], /^ adam lr=0\.1: f = .* after 150 steps$/);
  await shot('playground');
});

test("datasets upload from a file and show the parser's error for a bad one", { skip }, async () => {
  await page.getByRole('link', { name: 'Datasets' }).click();
  await page.getByRole('heading', { name: 'Datasets' }).waitFor();
  const csv = 'a,b,label\n' + Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n';
  const dsName = `parity-${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(dsName);
  expected = /status of 400/;
  await page.getByLabel('Or choose a file').setInputFiles({ name: 'parity.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const labelError = page.locator('[data-field="label"] .field-error');
  await labelError.filter({ hasText: 'label' }).waitFor();
  assert.match((await labelError.textContent()) ?? '', /^parity\.csv: label: is required for CSV/);
  expected = null;
  await page.getByLabel('Label column (CSV)').fill('label');
  await page.getByLabel('Or choose a file').setInputFiles({ name: 'parity.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const row = page.locator('#datasets tbody tr', { hasText: dsName });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /^parity-\w+20\[2\]2 classes: even, odd/);

  expected = /status of 400/;
  await page
    .getByLabel('Or choose a file')
    .setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,label\n1,abc,x\n2,3,y\n') });
  await page.locator('#upload-error:not(:empty)').waitFor();
  expected = null;
  const shown = await page.locator('#upload-error').textContent();
  assert.match(shown ?? '', /^broken\.csv: line 2, column "b": "abc" is not a number/);
  await shot('datasets');
  await row.getByRole('button', { name: `delete ${dsName}` }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal(
    (await api(service.url, 'GET', '/v1/datasets')).json.datasets.some((d: { name: string }) => d.name === dsName),
    false,
  );
});

test('the job list shows the jobs newest first with their status, and fits a narrow screen', { skip }, async () => {
  await page.getByRole('link', { name: 'Jobs' }).first().click();
  await page.locator('#jobs tbody tr').first().waitFor();
  // The test database may hold older jobs: ours are the newest five, the spirals job the oldest of them.
  const ids = await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
  assert.equal(ids[0], made[4], 'the continued job is the newest');
  assert.deepEqual(new Set(ids.slice(1, 4)), new Set(made.slice(1, 4)));
  assert.equal(ids[4], made[0]);
  assert.equal(await page.locator(`#jobs tr[data-job="${made[0]}"] [data-status]`).getAttribute('data-status'), 'canceled');
  await page.getByLabel('Status').selectOption('canceled');
  await page.waitForURL(/\?status=canceled$/);
  await until(async () =>
    (await page.locator('#jobs tbody tr [data-status]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-status')))).every(
      (x) => x === 'canceled',
    ),
  );
  assert.equal(await page.locator(`#jobs tr[data-job="${made[0]}"]`).count(), 1);
  await page.getByLabel('Status').selectOption('');
  await until(async () => (await page.locator('#jobs tbody tr [data-status="succeeded"]').count()) >= 4);
  await shot('jobs');
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.locator('html').evaluate((el) => el.scrollWidth - el.clientWidth);
  assert.equal(overflow, 0, 'no sideways scrolling of the page at 390 px');
  await shot('jobs-narrow', false);
  await page.locator(`#jobs tr[data-job="${made[4]}"] a`).click();
  await page.locator('#epochs tbody tr').first().waitFor();
  await until(async () => (await points()) > 0);
  assert.equal(await page.locator('html').evaluate((el) => el.scrollWidth - el.clientWidth), 0, 'a job page fits 390 px too');
  await shot('job-narrow');
  await page.setViewportSize({ width: 1200, height: 900 });
});

test('no console error or uncaught exception on any page', { skip }, () => {
  assert.deepEqual(consoleErrors, []);
});
