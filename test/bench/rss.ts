/**
 * Part 4 of the bench: peak memory for a 1,000,000-row × 20-column uploaded dataset: of the
 * service process (API and worker, `main.ts all`) while the CSV is uploaded, and of the
 * training child while a small MLP trains one epoch on it. Skipped when POST /v1/datasets
 * does not exist (404).
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BenchService } from './service.ts';
import { descendants, memoryOf, sampleMemory } from './service.ts';
import { runServiceJob, type ServiceRun } from './training.ts';

export const RSS_ROWS = 1_000_000;
/** 19 feature columns and the label column: 20 columns. */
export const RSS_FEATURES = 19;

export type RssResult =
  | { skipped: string }
  | {
      rows: number;
      columns: number;
      csvBytes: number;
      upload: { seconds: number; status: number; rssBeforeBytes: number; peakRssServiceBytes: number; hwmServiceBytes: number };
      job: ServiceRun & {
        childRssBeforeBytes: number;
        peakRssChildBytes: number;
        hwmChildBytes: number;
        serviceRssBeforeBytes: number;
        peakRssServiceBytes: number;
      };
    };

/** Does the route exist? A 404 from a tiny upload means "not yet". */
export async function datasetsAvailable(service: BenchService): Promise<boolean> {
  const res = await fetch(`${service.url}/v1/datasets?label=y`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: 'x,y\n1,0\n2,1\n',
  });
  const text = await res.text();
  if (res.status === 404) return false;
  if (res.status === 201) {
    const { id } = JSON.parse(text) as { id: string };
    await fetch(`${service.url}/v1/datasets/${id}`, { method: 'DELETE' }).catch(() => undefined);
  }
  return true;
}

/** Writes the CSV row block by row block, waiting for the file stream to drain (never whole in memory). */
export async function writeCsv(path: string, rows = RSS_ROWS, features = RSS_FEATURES): Promise<number> {
  const out = createWriteStream(path);
  out.write([...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',') + '\n');
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const BLOCK = 2000;
  for (let from = 0; from < rows; from += BLOCK) {
    let text = '';
    for (let i = from; i < Math.min(from + BLOCK, rows); i++) {
      const values: string[] = [];
      let score = 0;
      for (let j = 0; j < features; j++) {
        const v = rand() * 2 - 1;
        score += j < 3 ? v : 0;
        values.push(v.toFixed(4));
      }
      // A learnable label: the bucket of the first three features' sum.
      values.push(String(Math.min(9, Math.max(0, Math.floor((score + 3) / 0.6)))));
      text += values.join(',') + '\n';
    }
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

export async function rssPart(service: BenchService, tmpDir: string): Promise<RssResult> {
  if (!(await datasetsAvailable(service))) return { skipped: 'datasets upload not available (POST /v1/datasets → 404)' };
  const csv = join(tmpDir, 'rss-1m-x20.csv');
  const csvBytes = await writeCsv(csv);
  const pid = service.proc.pid!;

  const rssBeforeBytes = memoryOf(pid)?.rss ?? 0;
  const uploadMemory = sampleMemory(pid, 200);
  const uploadStarted = performance.now();
  const res = await fetch(`${service.url}/v1/datasets?label=label&name=bench-1m`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(createReadStream(csv)) as ReadableStream,
    duplex: 'half',
  });
  const uploaded = await res.text();
  const uploadSeconds = (performance.now() - uploadStarted) / 1000;
  const uploadPeaks = uploadMemory.stop();
  if (res.status !== 201) return { skipped: `upload answered ${res.status}: ${uploaded.slice(0, 300)}` };
  const dataset = JSON.parse(uploaded) as { id: string; rows: number; classes: string[] | null };

  const childPids = new Set(descendants(pid));
  const idleChildren = [...childPids].map((p) => memoryOf(p)).filter((m) => m && /trainer-child/.test(m.cmd));
  const childRssBeforeBytes = Math.max(0, ...idleChildren.map((m) => m!.rss));
  const serviceRssBeforeBytes = memoryOf(pid)?.rss ?? 0;
  const jobMemory = sampleMemory(pid, 200);
  let run: ServiceRun;
  try {
    run = await runServiceJob(
      service,
      {
        name: 'bench-rss',
        dataset: { id: dataset.id },
        model: {
          layers: [
            { type: 'dense', units: 32, activation: 'relu' },
            { type: 'dense', units: dataset.classes?.length ?? 10, activation: 'softmax' },
          ],
          loss: 'sparseCategoricalCrossentropy',
        },
        optimizer: { name: 'adam', learningRate: 0.001 },
        training: { epochs: 1, batchSize: 256, validationSplit: 0, seed: 1 },
      },
      200,
      600_000,
    );
  } catch (err) {
    jobMemory.stop();
    return { skipped: `the training job on the uploaded dataset did not succeed: ${(err as Error).message}` };
  }
  const jobPeaks = jobMemory.stop();
  // Training children only (a new one may be forked meanwhile); not the playground's child.
  const children = [...jobPeaks.entries()].filter(([p, m]) => p !== pid && /trainer-child/.test(m.cmd));
  return {
    rows: dataset.rows,
    columns: RSS_FEATURES + 1,
    csvBytes,
    upload: {
      seconds: uploadSeconds,
      status: res.status,
      rssBeforeBytes,
      peakRssServiceBytes: uploadPeaks.get(pid)?.rss ?? 0,
      hwmServiceBytes: uploadPeaks.get(pid)?.hwm ?? 0,
    },
    job: {
      ...run,
      childRssBeforeBytes,
      serviceRssBeforeBytes,
      peakRssChildBytes: Math.max(0, ...children.map(([, m]) => m.rss)),
      hwmChildBytes: Math.max(0, ...children.map(([, m]) => m.hwm)),
      peakRssServiceBytes: jobPeaks.get(pid)?.rss ?? 0,
    },
  };
}
