/**
 * The browser rules in a real browser (Debian's Chromium through playwright-core): a page from
 * another origin fires the requests the issue found accepted (a text/plain dataset upload and
 * a body-less cancel, both "simple" requests with no CORS preflight) and changes nothing, while
 * the service's own page (/docs) still can. Skipped where Chromium is not installed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { keysDatabase } from '../helpers/auth.ts';
import { launchChromium, noChromium } from '../helpers/chromium.ts';
import { api, xorJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('a real browser', { skip: noChromium }, () => {
  let service: TestService;
  let browser: Browser;
  let page: Server;
  let pageUrl: string;
  const seen: string[] = [];
  before(async () => {
    service = await startService({ env: { DATABASE_URL: await keysDatabase('chromium') } });
    // What the service answered, as the page cannot see it (CORP and no-cors hide the answer).
    service.app.server.on('request', (req, res) =>
      res.on('finish', () => seen.push(`${req.method} ${req.url?.split('?')[0]} ${res.statusCode}`)),
    );
    browser = await launchChromium();
    // Another origin: "localhost" on another port, as a page the user happened to open.
    page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await browser?.close();
    page?.close();
    await service?.close();
  });

  it("a page from another origin cannot upload a dataset or cancel a job; the service's own page can", async () => {
    const job = await api(service.url, 'POST', '/v1/jobs', xorJob());
    assert.equal(job.status, 201);
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const name = `from-a-page-${randomUUID()}`; // this run's own: the database outlives runs
    await tab.evaluate(
      async ({ base, id, name }) => {
        // no-cors: the page cannot read the answer, but the request is sent; that is the attack.
        // (The fetch itself rejects: helmet's Cross-Origin-Resource-Policy hides even the opaque answer.)
        // (No named helper here: the test runner's transform would add a __name call the page lacks.)
        await fetch(`${base}/v1/datasets?label=y&name=${name}`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: 'x,y\n1,0\n2,1\n',
        }).catch(() => null);
        await fetch(`${base}/v1/jobs/${id}/cancel`, { method: 'POST', mode: 'no-cors' }).catch(() => null);
      },
      { base: service.url, id: job.json.id, name },
    );
    assert.ok(seen.includes('POST /v1/datasets 403'), `the browser sent the upload and it was refused: ${seen}`);
    assert.ok(seen.includes(`POST /v1/jobs/${job.json.id}/cancel 403`), `the browser sent the cancel and it was refused: ${seen}`);
    assert.equal((await api(service.url, 'GET', `/v1/jobs/${job.json.id}`)).json.status, 'queued', 'not canceled');
    const names = () => api(service.url, 'GET', '/v1/datasets').then((r) => r.json.datasets.map((d: any) => d.name));
    assert.ok(!(await names()).includes(name), 'not uploaded');

    // The same requests from the service's own page (its /docs) are served.
    await tab.goto(`${service.url}/docs/`);
    const ownName = `own-page-${randomUUID()}`;
    const own = await tab.evaluate(async (ownName) => {
      const res = await fetch(`/v1/datasets?label=y&name=${ownName}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x,y\n1,0\n2,1\n',
      });
      return res.status;
    }, ownName);
    assert.equal(own, 201);
    assert.ok((await names()).includes(ownName));
    await api(service.url, 'POST', `/v1/jobs/${job.json.id}/cancel`);
  });
});
