/**
 * How the dashboard is served: index.html for every client route, uncached and with a strict
 * Content-Security-Policy; hashed assets cached for a year; a clear 404 without a build; the
 * API's own routes untouched.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { dashboardRoutes } from '../../src/api/dashboard.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function appWith(dir: string) {
  const app = Fastify();
  app.get('/v1/jobs/:id', async () => ({ api: true }));
  await app.register(dashboardRoutes(dir));
  return app;
}

test('a built dashboard answers index.html at / and every client route, uncached, with a CSP', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dash-'));
  dirs.push(dir);
  await mkdir(join(dir, 'assets'));
  const html = '<!doctype html><title>t</title><script type="module" src="/assets/main-ABC123.js"></script>';
  await writeFile(join(dir, 'index.html'), html);
  await writeFile(join(dir, 'assets', 'main-ABC123.js'), 'console.log(1)');
  const app = await appWith(dir);
  for (const url of ['/', '/new', '/playground', '/datasets', '/jobs/0b6f3e4e-7a3c-4a51-9d7e-3f1c2f9b1a00', '/comparisons/x']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.body, html, url);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-security-policy']), /^default-src 'self';/);
  }
  const asset = await app.inject({ url: '/assets/main-ABC123.js' });
  assert.equal(asset.statusCode, 200);
  assert.equal(asset.body, 'console.log(1)');
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await app.inject({ url: '/assets/missing.js' })).statusCode, 404);
  // The API keeps its routes; a page path under /v1 is not the dashboard's.
  assert.deepEqual((await app.inject({ url: '/v1/jobs/1' })).json(), { api: true });
  assert.equal((await app.inject({ url: '/jobs/1/extra' })).statusCode, 404);
  await app.close();
});

test('without a build, / is a 404 that says how to build the dashboard', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dash-empty-'));
  dirs.push(dir);
  const app = await appWith(join(dir, 'nothing-here'));
  for (const url of ['/', '/jobs/abc']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 404);
    const body = res.json();
    assert.equal(body.error, 'not_found');
    assert.match(body.message, /npm run build:web/);
    assert.deepEqual(body.details, { field: 'path' });
  }
  assert.deepEqual((await app.inject({ url: '/v1/jobs/1' })).json(), { api: true });
  await app.close();
});
