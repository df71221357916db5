/**
 * The whole loop over HTTP on the real stack: submit an iris job, poll it to succeeded, read
 * one metrics row per step, download the model with tf.loadLayersModel over HTTP and check
 * it predicts exactly what the same training, repeated here, predicts. Once per production
 * backend this machine has (wasm; tensorflow where tfjs-node is built), each against itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.ts';
import { generateDataset } from '../../src/engine/builtin-datasets.ts';
import { planJob, type JobSpec } from '../../src/domain/job.ts';
import { deriveSeed } from '../../src/engine/random.ts';
import { train } from '../../src/engine/train.ts';
import { api, finished, irisJob, waitForJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { backendsHere } from '../helpers/backends.ts';
import { availableParallelism } from 'node:os';

for (const { backend, skip } of await backendsHere(['wasm', 'tensorflow'] as const)) {
  describe(`training loop over HTTP on ${backend}`, { skip }, () => {
    let service: TestService;
    let job: any;

    before(async () => {
      await initBackend(backend); // the workers' backend, so results are comparable bit for bit
      service = await startService({ worker: true, env: { TFJS_BACKEND: backend } });
      const submitted = await api(service.url, 'POST', '/v1/jobs', irisJob());
      assert.equal(submitted.status, 201, submitted.text);
      assert.equal(submitted.json.status, 'queued');
      job = await waitForJob(service.url, submitted.json.id, finished);
    });
    after(() => service.close());

    it(`runs the job to succeeded on the ${backend} backend with complete progress`, () => {
      assert.equal(job.status, 'succeeded', job.error);
      assert.equal(job.backend, backend);
      // 150 iris examples, 20% held out → 120 train → ceil(120/16) = 8 steps × 5 epochs.
      assert.deepEqual([job.progress.step, job.progress.totalSteps, job.progress.epoch, job.progress.epochs], [40, 40, 5, 5]);
      assert.ok(job.progress.samplesPerSecond > 0);
      assert.ok(job.startedAt && job.finishedAt && job.finishedAt >= job.startedAt);
    });

    it('records one metrics row per step, in order, and one per epoch', async () => {
      const { json } = await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics?limit=25`);
      assert.equal(json.steps.length, 25);
      assert.equal(json.nextFromStep, 26);
      const rest = await api(service.url, 'GET', `/v1/jobs/${job.id}/metrics?fromStep=26&limit=25`);
      const steps = [...json.steps, ...rest.json.steps];
      assert.deepEqual(
        steps.map((s: any) => s.step),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.equal(rest.json.nextFromStep, null);
      assert.ok(steps.every((s: any) => Number.isFinite(s.loss) && s.learningRate === 0.01));
      assert.deepEqual(
        json.epochs.map((e: any) => e.epoch),
        [1, 2, 3, 4, 5],
      );
      for (const e of json.epochs) {
        assert.ok(e.valLoss > 0 && e.accuracy >= 0 && e.accuracy <= 1 && e.valAccuracy >= 0, JSON.stringify(e));
      }
      // The epoch loss is the example-weighted mean of its steps (7 full batches of 16 and one of 8).
      const epoch1 = steps.filter((s: any) => s.epoch === 1).map((s: any) => s.loss);
      const weighted = (epoch1.slice(0, 7).reduce((a: number, b: number) => a + b, 0) * 16 + epoch1[7] * 8) / 120;
      assert.ok(Math.abs(weighted - json.epochs[0].loss) < 1e-9);
    });

    it('serves a model tf.loadLayersModel loads over HTTP, predicting what the same training predicts', async () => {
      const model = await tf.loadLayersModel(`${service.url}/v1/jobs/${job.id}/model/model.json`);
      const spec = job.spec as JobSpec;
      const data = generateDataset(spec.dataset, deriveSeed(spec.training.seed, 0));
      const x = tf.tensor(data.features, [data.count, ...data.featureShape]);
      const downloaded = (model.predict(x) as tf.Tensor).arraySync() as number[][];

      // Train again here from the stored spec: same backend, same seed → the same weights.
      const local = await train(spec, planJob(spec), { onStep() {}, onEpoch() {}, stopRequested: () => undefined });
      const again = await tf.loadLayersModel(tf.io.fromMemory(local.model));
      const expected = (again.predict(x) as tf.Tensor).arraySync() as number[][];
      assert.deepEqual(downloaded, expected);
      // And the predictions are a trained classifier's: most irises right.
      const correct = downloaded.filter((p, i) => p.indexOf(Math.max(...p)) === data.targets[i]).length;
      assert.ok(correct / data.count > 0.7, `accuracy ${correct / data.count}`);
      tf.dispose([x, model, again] as never);
    });

    it('serves the final optimizer state: every slot of every weight, with the iteration count', async () => {
      const { status, json } = await api(service.url, 'GET', `/v1/jobs/${job.id}/optimizer-state`);
      assert.equal(status, 200);
      assert.equal(json.format, 'tfjs-trainer/optimizer-state@1');
      assert.equal(json.optimizer.name, 'adam');
      assert.equal(json.iterations, 40);
      const weights = ['l0_dense/kernel', 'l0_dense/bias', 'l2_dense/kernel', 'l2_dense/bias'];
      const shapes: Record<string, number[]> = {
        'l0_dense/kernel': [4, 8],
        'l0_dense/bias': [8],
        'l2_dense/kernel': [8, 3],
        'l2_dense/bias': [3],
      };
      for (const w of weights) {
        const slots = json.slots.filter((s: any) => s.weight === w);
        assert.equal(slots.length, 2, `adam keeps two slots for ${w}`);
        for (const s of slots) {
          assert.deepEqual(s.shape, shapes[w]);
          assert.equal(
            s.values.length,
            shapes[w].reduce((a, b) => a * b, 1),
          );
        }
      }
    });

    it('lists jobs newest first with a cursor to the next page', async () => {
      const second = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 1 } }));
      const page1 = await api(service.url, 'GET', '/v1/jobs?limit=1');
      assert.equal(page1.json.jobs.length, 1);
      assert.equal(page1.json.jobs[0].id, second.json.id);
      const page2 = await api(service.url, 'GET', `/v1/jobs?limit=1&cursor=${page1.json.nextCursor}`);
      assert.equal(page2.json.jobs[0].id, job.id);
      const succeeded = await api(service.url, 'GET', '/v1/jobs?status=succeeded&limit=100');
      assert.ok(succeeded.json.jobs.every((j: any) => j.status === 'succeeded'));
      await waitForJob(service.url, second.json.id, finished);
    });

    it("answers readiness with the database, Redis and the workers' backend, and serves OpenAPI and docs", async () => {
      const ready = await api(service.url, 'GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.json.database, 'ok');
      assert.equal(ready.json.redis, 'ok');
      assert.deepEqual(ready.json.backends, [backend]);
      // Native TensorFlow's pool: half the cores by default (TF_NUM_THREADS unset); wasm: one thread.
      assert.deepEqual(
        ready.json.workers.map((w: { threads: number }) => w.threads),
        [backend === 'tensorflow' ? Math.max(1, Math.ceil(availableParallelism() / 2)) : 1],
      );
      assert.equal((await api(service.url, 'GET', '/healthz')).json.status, 'ok');
      const openapi = await api(service.url, 'GET', '/openapi.json');
      assert.ok(openapi.json.paths['/v1/jobs'].post);
      assert.ok(openapi.json.paths['/v1/jobs/{id}/metrics'].get);
      const docs = await fetch(`${service.url}/docs`, { redirect: 'follow' });
      assert.equal(docs.status, 200);
    });
  });
}
