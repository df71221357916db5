/**
 * The command-line client against a running service: exit codes, what it prints, the files it
 * writes. Run as a user runs it, through bin/trainer.mjs in a separate process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdJobs } from '../helpers/hold.ts';
import { api, irisJob, waitForJob, xorJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** The job the CLI cancels is held here, running; the iris jobs (40 steps) never reach it. */
const hold = holdJobs(100);

const BIN = new URL('../../bin/trainer.mjs', import.meta.url).pathname;
let service: TestService;
let dir: string;

before(async () => {
  service = await startService({ worker: true });
  dir = mkdtempSync(join(tmpdir(), 'trainer-cli-'));
});
after(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, TRAINER_URL: service.url, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function jobFile(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

test('submit --follow shows progress from the event stream and exits 0 when the job succeeds', async () => {
  const res = await cli(['submit', jobFile('iris.json', irisJob()), '--follow']);
  assert.equal(res.code, 0, res.stderr);
  const id = res.stdout.trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const job = (await api(service.url, 'GET', `/v1/jobs/${id}`)).json;
  assert.equal(job.status, 'succeeded');
  const total = job.progress.totalSteps;
  // Not a terminal: one progress line per epoch, the last at the final step.
  assert.match(res.stderr, new RegExp(`epoch 5/5  step ${total}/${total}  loss [0-9.e+-]+  [0-9,]+ samples/s`));
  assert.match(res.stderr, /succeeded/);
});

test('submit --follow exits 1 with the reason when the job fails', async () => {
  // Plain SGD at a learning rate far too high for this regression: the loss overflows.
  const diverging = {
    dataset: { builtin: 'linear', samples: 200, features: 3 },
    model: { layers: [{ type: 'dense', units: 1 }], loss: 'meanSquaredError' },
    optimizer: { name: 'sgd', learningRate: 1000 },
    training: { epochs: 50, batchSize: 8, seed: 1 },
  };
  const res = await cli(['submit', jobFile('diverge.json', diverging), '--follow']);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /failed: .*loss/);
  const job = (await api(service.url, 'GET', `/v1/jobs/${res.stdout.trim()}`)).json;
  assert.equal(job.status, 'failed');
});

test('get, list, cancel and download use the public API and say what they did', async () => {
  const done = await cli(['submit', jobFile('iris2.json', irisJob())]);
  assert.equal(done.code, 0);
  const id = done.stdout.trim();
  await waitForJob(service.url, id, (j) => j.status === 'succeeded');

  const got = await cli(['get', id]);
  assert.equal(got.code, 0);
  assert.equal(JSON.parse(got.stdout).id, id);

  const listed = await cli(['list', '--limit', '5']);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout.split('\n')[0], /^ID\s+STATUS\s+STEP\s+LOSS\s+CREATED\s+NAME$/);
  assert.ok(listed.stdout.includes(id));
  const listedRaw = await cli(['list', '--json', '--status', 'succeeded']);
  assert.equal(listedRaw.code, 0, listedRaw.stderr);
  const listedJson = JSON.parse(listedRaw.stdout);
  assert.ok(listedJson.jobs.every((j: { status: string }) => j.status === 'succeeded'));

  const out = join(dir, 'model');
  const dl = await cli(['download', id, out]);
  assert.equal(dl.code, 0, dl.stderr);
  const served = await fetch(`${service.url}/v1/jobs/${id}/model/weights.bin`);
  assert.deepEqual(new Uint8Array(readFileSync(join(out, 'weights.bin'))), new Uint8Array(await served.arrayBuffer()));
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  assert.deepEqual(model.weightsManifest[0].paths, ['weights.bin']);
  const state = JSON.parse(readFileSync(join(out, 'optimizer-state.json'), 'utf8'));
  assert.equal(state.optimizer.name, 'adam');

  const long = await cli(['submit', jobFile('long.json', xorJob())]);
  const longId = long.stdout.trim();
  await hold.reached(longId); // running until the cancel ends the hold
  const canceled = await cli(['cancel', longId]);
  assert.equal(canceled.code, 0);
  assert.match(canceled.stdout, new RegExp(`^${longId} `));
  assert.equal((await waitForJob(service.url, longId, (j) => j.status === 'canceled')).status, 'canceled');
  const again = await cli(['cancel', id]); // a succeeded job: the API's 409, passed on
  assert.equal(again.code, 3);
  assert.match(again.stderr, /409 \(conflict: id: job .* has already succeeded/);
});

test('an unknown id, an unreachable or malformed TRAINER_URL and bad usage exit non-zero with a clear message', async () => {
  const unknown = await cli(['get', '00000000-0000-4000-8000-000000000000']);
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /^trainer: GET \/v1\/jobs\/0{8}-0{4}-4000-8000-0{12} answered 404 \(not_found: id: no job /);
  const bad = await cli(['get', 'not-an-id']);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /answered 400 \(invalid_request: /);

  const down = await cli(['list'], { TRAINER_URL: 'http://127.0.0.1:5549' }); // a port of ours nothing listens on
  assert.equal(down.code, 3);
  assert.match(down.stderr, /^trainer: cannot reach http:\/\/127\.0\.0\.1:5549 \(TRAINER_URL\): ECONNREFUSED/);
  const malformed = await cli(['list'], { TRAINER_URL: 'not a url' });
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /TRAINER_URL is not a URL/);

  assert.equal((await cli(['frobnicate'])).code, 2);
  assert.equal((await cli(['get'])).code, 2);
  const missing = await cli(['submit', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
  const invalid = await cli(['submit', jobFile('bad.json', { ...irisJob(), training: { epochs: 0, batchSize: 16 } })]);
  assert.equal(invalid.code, 3);
  assert.match(invalid.stderr, /400 \(invalid_request: training\.epochs/);
});
