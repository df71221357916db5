/** submit, list, get, cancel, download: the job commands. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, EXIT, isFinal, type ApiClient, type JobView } from '../client.ts';
import type { Progress } from '../../domain/records.ts';
import { ProgressBar } from '../progress.ts';
import { followJob } from '../sse.ts';

export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

export async function submit(client: ApiClient, file: string, follow: boolean): Promise<number> {
  const job = await client.json<JobView>('POST', '/v1/jobs', await readJsonFile(file));
  process.stdout.write(`${job.id}\n`);
  if (!follow) return EXIT.ok;
  return followToEnd(client, job);
}

/** Streams the job's events into a progress bar; the exit code says how it ended. */
export async function followToEnd(client: ApiClient, job: JobView): Promise<number> {
  const bar = new ProgressBar(process.stderr);
  const state: Progress = { ...job.progress };
  let final: { status: string; error?: string } | undefined;
  for await (const e of followJob(client, job.id)) {
    if (e.event === 'steps') {
      const steps = (e.data as { steps: Array<{ step: number; epoch: number; loss: number }> }).steps;
      const last = steps[steps.length - 1];
      Object.assign(state, { step: last.step, epoch: last.epoch, loss: last.loss });
    } else if (e.event === 'progress') {
      const p = e.data as Progress;
      // Steps events run ahead of the progress row (written every 500 ms): keep the later step.
      Object.assign(state, { epochs: p.epochs, totalSteps: p.totalSteps, samplesPerSecond: p.samplesPerSecond });
      if (p.step >= state.step) Object.assign(state, { step: p.step, epoch: p.epoch, loss: p.loss });
    } else if (e.event === 'status') {
      const s = e.data as { status: string; error?: string };
      if (isFinal(s.status)) final = s;
    }
    bar.update(state, final !== undefined);
  }
  bar.done();
  if (!final) throw new CliError('the event stream ended without a final status');
  if (final.status === 'succeeded') {
    process.stderr.write(`job ${job.id} succeeded: ${state.step} steps, final loss ${state.loss}\n`);
    return EXIT.ok;
  }
  process.stderr.write(`job ${job.id} ${final.status}${final.error ? `: ${final.error}` : ''}\n`);
  return EXIT.jobFailed;
}

export async function list(client: ApiClient, opts: { status?: string; limit?: string; json: boolean }): Promise<number> {
  const query = new URLSearchParams();
  if (opts.status) query.set('status', opts.status);
  if (opts.limit) query.set('limit', opts.limit);
  const page = await client.json<{ jobs: JobView[]; nextCursor: string | null }>(
    'GET',
    `/v1/jobs${query.size ? `?${query.toString()}` : ''}`,
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return EXIT.ok;
  }
  const rows = page.jobs.map((j) => [
    j.id,
    j.status,
    `${j.progress.step}/${j.progress.totalSteps}`,
    j.progress.loss === null ? '–' : j.progress.loss.toPrecision(4),
    j.createdAt,
    j.name ?? '',
  ]);
  process.stdout.write(table(['ID', 'STATUS', 'STEP', 'LOSS', 'CREATED', 'NAME'], rows));
  return EXIT.ok;
}

export async function get(client: ApiClient, id: string): Promise<number> {
  const job = await client.json<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  return EXIT.ok;
}

export async function cancel(client: ApiClient, id: string): Promise<number> {
  const job = await client.json<JobView>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  process.stdout.write(`${job.id} ${job.status === 'canceled' ? 'canceled' : `${job.status}; asked to stop`}\n`);
  return EXIT.ok;
}

/** model.json + weights.bin (loadable with tf.loadLayersModel('file://DIR/model.json')) and optimizer-state.json. */
export async function download(client: ApiClient, id: string, dir: string): Promise<number> {
  const base = `/v1/jobs/${encodeURIComponent(id)}`;
  const [model, weights, state] = await Promise.all([
    client.bytes(`${base}/model/model.json`),
    client.bytes(`${base}/model/weights.bin`),
    client.bytes(`${base}/optimizer-state`),
  ]);
  await mkdir(dir, { recursive: true });
  const files: Array<[string, Uint8Array]> = [
    ['model.json', model],
    ['weights.bin', weights],
    ['optimizer-state.json', state],
  ];
  for (const [name, bytes] of files) await writeFile(path.join(dir, name), bytes);
  for (const [name, bytes] of files) process.stdout.write(`${path.join(dir, name)}  ${bytes.length} bytes\n`);
  return EXIT.ok;
}

/** A plain text table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
