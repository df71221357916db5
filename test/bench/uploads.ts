/**
 * Part 5 of the bench: the API process's memory while it takes the largest uploads it accepts.
 * Each body is generated while it is sent (never written to disk, never whole in memory):
 * a CSV of just under MAX_DATASET_BYTES (1 GiB) with 20 columns, a CSV of 50,000 columns
 * (wide rows: slices bounded in bytes, not rows), and the JSON body that used to exhaust V8's
 * heap (`{"x":[[0],…],"y":[…]}`, 360 MB). The peak RSS of the API process is sampled every
 * 100 ms; each dataset is deleted after its upload.
 */
import { Readable } from 'node:stream';
import type { BenchService } from './service.ts';
import { memoryOf, sampleMemory } from './service.ts';

export interface UploadRun {
  what: string;
  bytes: number;
  status: number;
  seconds: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
  answer: string;
}

/** Yields `prefix`, then `row(i)` for i = 0, 1, … in blocks of about 64 KiB until `total` bytes would be passed, then `suffix`. */
function* body(total: number, prefix: string, row: (i: number) => string, suffix = ''): Generator<Buffer> {
  let sent = prefix.length + suffix.length;
  let block = prefix;
  for (let i = 0; ; i++) {
    const next = row(i);
    if (sent + next.length > total) break;
    sent += next.length;
    block += next;
    if (block.length >= 65536) {
      yield Buffer.from(block);
      block = '';
    }
  }
  yield Buffer.from(block + suffix);
}

/** A seeded value in [-1, 1) written with 4 decimals, as a CSV export would. */
function values(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2147483648 - 1).toFixed(4);
  };
}

async function upload(service: BenchService, what: string, query: string, type: string, parts: Generator<Buffer>): Promise<UploadRun> {
  const pid = service.proc.pid!;
  let bytes = 0;
  const counted = Readable.from(
    (function* () {
      for (const part of parts) {
        bytes += part.length;
        yield part;
      }
    })(),
  );
  const rssBeforeBytes = memoryOf(pid)?.rss ?? 0;
  const memory = sampleMemory(pid, 100);
  const started = performance.now();
  const res = await fetch(`${service.url}/v1/datasets${query}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: Readable.toWeb(counted) as ReadableStream,
    duplex: 'half',
  });
  const answer = await res.text();
  const seconds = (performance.now() - started) / 1000;
  const peaks = memory.stop();
  if (res.status === 201) {
    const { id } = JSON.parse(answer) as { id: string };
    await fetch(`${service.url}/v1/datasets/${id}`, { method: 'DELETE' });
  }
  return { what, bytes, status: res.status, seconds, rssBeforeBytes, peakRssBytes: peaks.get(pid)?.rss ?? 0, answer: answer.slice(0, 200) };
}

/**
 * What the API process may hold at its peak while it takes any of these uploads: its own
 * footprint (about 235 MiB idle under tsx: Fastify, Prisma, the OpenAPI document), a slice or
 * two of 1 MiB, the parsers' buffers, and the garbage V8 lets accumulate between collections,
 * which does not grow with the body. Measured here (2026-11-30, machine busy): peaks of 399,
 * 475 and 471 MiB for the three bodies below. Before slices were bounded in bytes, the
 * 50,000-column CSV peaked at 3 GB; before JSON was streamed, the JSON body exhausted a 4 GB
 * heap and killed the process.
 */
export const UPLOAD_RSS_BOUND_BYTES = 600 * 2 ** 20;

/** Just under the default MAX_DATASET_BYTES, so the upload is accepted. */
export const UPLOAD_CSV_BYTES = 1024 ** 3 - 1024 * 1024;

export async function uploadsPart(service: BenchService): Promise<UploadRun[]> {
  const runs: UploadRun[] = [];
  const v = values(7);
  const header20 = Array.from({ length: 19 }, (_, j) => `f${j}`).join(',') + ',label\n';
  runs.push(
    await upload(
      service,
      '1 GiB CSV, 20 columns',
      '?label=label&name=bench-1g',
      'text/csv',
      body(UPLOAD_CSV_BYTES, header20, (i) => `${Array.from({ length: 19 }, v).join(',')},${i % 10}\n`),
    ),
  );

  const wide = 50_000;
  const headerWide = Array.from({ length: wide - 1 }, (_, j) => `f${j}`).join(',') + ',label\n';
  runs.push(
    await upload(
      service,
      '400 MB CSV, 50,000 columns',
      '?label=label&name=bench-wide',
      'text/csv',
      body(400e6, headerWide, (i) => `${Array.from({ length: wide - 1 }, v).join(',')},${i % 2}\n`),
    ),
  );

  runs.push(await upload(service, '360 MB JSON {"x":[[0],…],"y":[…]}', '?name=bench-json', 'application/json', jsonBody(360e6)));
  return runs;
}

/** `{"x":[[0],[1],…],"y":[0,1,…]}` of about `total` bytes: x first, then y with one label per example. */
function* jsonBody(total: number): Generator<Buffer> {
  const n = Math.floor(total / 6); // ",[0]" is 4 bytes and ",0" is 2
  const part = (prefix: string, item: (i: number) => string, suffix: string) =>
    function* () {
      let block = prefix;
      for (let i = 0; i < n; i++) {
        block += (i === 0 ? '' : ',') + item(i);
        if (block.length >= 65536) {
          yield Buffer.from(block);
          block = '';
        }
      }
      yield Buffer.from(block + suffix);
    };
  yield* part('{"x":[', (i) => `[${i % 2}]`, '],')();
  yield* part('"y":[', (i) => `${i % 2}`, ']}')();
}
