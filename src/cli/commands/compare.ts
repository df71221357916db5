/**
 * compare and plot: thin calls to POST/GET /v1/comparisons and GET /v1/jobs/:id/loss.svg.
 * The comparison's live table is redrawn from polling GET /v1/comparisons/:id.
 */
import { writeFile } from 'node:fs/promises';
import { CliError, EXIT, type ApiClient } from '../client.ts';
import { readJsonFile, table } from './jobs.ts';

interface ComparisonRow {
  jobId: string;
  optimizer: string;
  /** Optimizer and learning rate, when the API gives it (two Adams with other rates differ by it). */
  label?: string;
  status: string;
  finalLoss: number | null;
  bestValLoss: number | null;
  bestValAccuracy: number | null;
  stepToTarget: number | null;
  wallSeconds: number | null;
  diverged: boolean;
  divergedAtStep: number | null;
}

interface Comparison {
  id: string;
  name?: string | null;
  status: string;
  rows?: ComparisonRow[];
  best?: { label?: string; metric?: string; value?: number } | null;
}

const POLL_MS = 1000;
const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '–' : Number(v).toPrecision(digits));

export function comparisonTable(c: Comparison): string {
  const rows = (c.rows ?? []).map((r) => [
    r.label ?? r.optimizer,
    r.status,
    num(r.finalLoss),
    num(r.bestValLoss),
    num(r.bestValAccuracy),
    r.stepToTarget === null ? '–' : String(r.stepToTarget),
    num(r.wallSeconds, 3),
    r.diverged ? `yes${r.divergedAtStep !== null ? ` (step ${r.divergedAtStep})` : ''}` : 'no',
    r.jobId,
  ]);
  const head = `comparison ${c.id}${c.name ? ` (${c.name})` : ''}: ${c.status}\n`;
  return (
    head + table(['VARIANT', 'STATUS', 'FINAL LOSS', 'BEST VAL LOSS', 'BEST VAL ACC', 'STEP TO TARGET', 'WALL S', 'DIVERGED', 'JOB'], rows)
  );
}

const running = (status: string) => status === 'queued' || status === 'running';

export async function compare(client: ApiClient, file: string, follow: boolean): Promise<number> {
  const created = await client.json<Comparison>('POST', '/v1/comparisons', await readJsonFile(file));
  process.stdout.write(`${created.id}\n`);
  if (!follow) return EXIT.ok;
  const tty = Boolean(process.stderr.isTTY);
  let drawnLines = 0;
  for (;;) {
    const c = await client.json<Comparison>('GET', `/v1/comparisons/${encodeURIComponent(created.id)}`);
    const text = comparisonTable(c);
    if (tty) {
      // Move up over the previous table and draw the new one in its place.
      process.stderr.write(`${drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : ''}${text}`);
      drawnLines = text.split('\n').length - 1;
    }
    if (!running(c.status)) {
      if (!tty) process.stderr.write(text);
      if (c.best) process.stdout.write(`best: ${c.best.label ?? '?'} (${c.best.metric ?? 'value'} ${num(c.best.value)})\n`);
      return c.status === 'failed' || c.status === 'canceled' ? EXIT.jobFailed : EXIT.ok;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function plot(client: ApiClient, id: string, out: string): Promise<number> {
  const svg = await client.bytes(`/v1/jobs/${encodeURIComponent(id)}/loss.svg`);
  try {
    await writeFile(out, svg);
  } catch (err) {
    throw new CliError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  process.stdout.write(`${out}  ${svg.length} bytes\n`);
  return EXIT.ok;
}
