/**
 * The dashboard on a service whose API keys are the real ones (store/keys.ts, api/auth/), in
 * Chromium: the page asks for a key, asks again when the service refuses one, and once given a
 * tenant's key shows that tenant's jobs, live, and no other tenant's. (api-key.test.ts drives
 * the same prompt against a stand-in whose event stream it controls to the byte.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildWeb } from '../../scripts/build-web.ts';
import { bearer, freshTenant, keysDatabase, newKey } from '../helpers/auth.ts';
import { launchChromium, noChromium as skip } from '../helpers/chromium.ts';
import { api, irisJob, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { until } from '../helpers/until.ts';

let service: TestService;
let browser: import('playwright-core').Browser;
let mine: { key: string };
let theirs: { key: string };

before(async () => {
  if (skip) return;
  await buildWeb();
  const databaseUrl = await keysDatabase('dashboard');
  mine = await newKey(databaseUrl, { tenant: freshTenant('dashboard') });
  theirs = await newKey(databaseUrl, { tenant: freshTenant('neighbour') });
  service = await startService({ worker: true, env: { DATABASE_URL: databaseUrl } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await service?.close();
});

test("with real keys: asked for a key, a refused one asked again, then the tenant's own jobs only", { skip }, async () => {
  const ours = await api(service.url, 'POST', '/v1/jobs', irisJob(), bearer(mine.key));
  const other = await api(service.url, 'POST', '/v1/jobs', irisJob(), bearer(theirs.key));
  assert.equal(ours.status, 201, ours.text);
  assert.equal(other.status, 201, other.text);
  await waitForJob(service.url, ours.json.id, (j) => j.status === 'succeeded', bearer(mine.key));

  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // The browser logs each 401 the page is answered while it has no (valid) key.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${service.url}/`);
  await page.getByRole('heading', { name: 'API key' }).waitFor();
  await page.getByLabel('Key').fill(`trn_${'0'.repeat(43)}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('The service refused that key.').waitFor();

  await page.getByLabel('Key').fill(mine.key);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  await page.locator(`tr[data-job="${ours.json.id}"] [data-status="succeeded"]`).waitFor();
  assert.equal(await page.locator(`tr[data-job="${other.json.id}"]`).count(), 0, "another tenant's job is not listed");
  assert.equal(await page.evaluate("sessionStorage.getItem('trainer.apiKey')"), mine.key);

  // The job's own page reads its metrics with the key: the chart has the job's steps.
  await page.goto(`${service.url}/jobs/${ours.json.id}`);
  await until(async () => Number((await page.getAttribute('#loss-chart', 'data-points')) ?? '0') > 0, 100);
  // Another tenant's job reads exactly like no job.
  await page.goto(`${service.url}/jobs/${other.json.id}`);
  await page.getByText(`no job ${other.json.id}`).waitFor();
  assert.deepEqual(
    errors.filter((e) => !/status of 404/.test(e)),
    [],
  );
  await page.close();
});
