/**
 * Part 1's rows of the bench table, one model at a time: the bare TensorFlow.js loop and the
 * service on the best backend, the service on wasm (the fallback) when the best is another, each
 * peer, the best peer, and the two ratios with their goals.
 */
import type { PeerResult } from './peers.ts';
import { bestPeer } from './peers.ts';
import type { ModelName } from './specs.ts';
import type { Table } from './table.ts';
import type { BareResult, ServiceModelResult } from './training.ts';

/** The service against the fastest peer, and against the simplest tfjs loop on its own backend. */
export const GOALS = { serviceOverBestPeer: 1.0, serviceOverBareLoop: 1.3 } as const;

export interface ThroughputFigures {
  bare?: BareResult;
  bareOurAdam?: BareResult;
  bareTrain?: BareResult;
  service?: ServiceModelResult;
  serviceWasm?: ServiceModelResult;
  peers?: PeerResult[];
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (xs: number[]) => xs.map((x) => fmt(x, 2)).join(', ');

function serviceRows(table: Table, part: string, b: ServiceModelResult, a: BareResult | undefined, label: string): void {
  const m = b.median;
  table.row({
    part,
    metric: `${label}, ${m.backend}`,
    value: `${fmt(b.samplesPerSecond)} samples/s`,
    note: `median of ${b.runs.length} jobs: ${seconds(b.runs.map((r) => r.wallSeconds))} s; warm-up job ${fmt(b.warmup.wallSeconds, 2)} s`,
  });
  if (m.finishingSeconds !== undefined) {
    const without = (b.samplesPerSecond * m.wallSeconds) / (m.wallSeconds - m.finishingSeconds);
    table.row({
      part,
      metric: '  minus its "finishing" (diagnostic)',
      value: `${fmt(without)} samples/s`,
      note: a ? `${fmt(without / a.samplesPerSecond, 2)} of (a): if the artifacts were stored for free` : '',
    });
  }
  table.row({
    part,
    metric: '  where its time goes (median job)',
    value: `${fmt(m.wallSeconds, 2)} s`,
    note:
      `queued ${fmt(m.queuedSeconds * 1000)} ms, ` +
      `child ${m.childSeconds !== undefined ? fmt(m.childSeconds, 2) : '?'} s, ` +
      `finishing (child done → row succeeded) ${m.finishingSeconds !== undefined ? fmt(m.finishingSeconds * 1000) : '?'} ms, ` +
      `child loop ${fmt(m.loopSamplesPerSecond)} samples/s (last epoch); ` +
      `CPU s: service ${fmt(m.cpu.service, 2)}, child ${fmt(m.cpu.children, 2)}, postgres ${fmt(m.cpu.postgres, 2)}`,
  });
}

export function throughputRows(table: Table, model: ModelName, f: ThroughputFigures): void {
  const part = model.toUpperCase();
  const { bare: a, service: b } = f;
  if (a) {
    table.row({
      part,
      metric: `(a) bare tfjs loop, tf.train.adam, ${a.backend}`,
      value: `${fmt(a.samplesPerSecond)} samples/s`,
      note: `the best backend here (auto); median of ${a.runSeconds.length}: ${seconds(a.runSeconds)} s`,
    });
    for (const [d, what, extra] of [
      [f.bareOurAdam, 'same loop, our Adam', ''],
      [f.bareTrain, 'our train(), no-op hooks', '; includes data generation + model build'],
    ] as const)
      if (d)
        table.row({
          part,
          metric: `  ${what} (diagnostic)`,
          value: `${fmt(d.samplesPerSecond)} samples/s`,
          note: `${fmt((d.samplesPerSecond / a.samplesPerSecond) * 100, 1)}% of (a)${extra}`,
        });
  }
  if (b) serviceRows(table, part, b, a, '(b) service, submit → succeeded');
  if (f.serviceWasm) serviceRows(table, part, f.serviceWasm, undefined, '(b) service on the fallback');

  for (const p of f.peers ?? []) {
    if ('skipped' in p) table.row({ part, metric: `(c) ${p.peer}`, value: 'skipped', note: p.skipped });
    else
      table.row({
        part,
        metric: `(c) ${p.peer}`,
        value: `${fmt(p.samplesPerSecond)} samples/s`,
        note:
          `${p.threads}; median of ${p.runSeconds.length}: ${seconds(p.runSeconds)} s; ` +
          `loss by epoch ${p.epochLosses.map((l) => fmt(l, 3)).join(' → ')}`,
      });
  }
  const best = bestPeer(f.peers ?? []);
  if (best) table.row({ part, metric: '(c) best peer', value: `${fmt(best.samplesPerSecond)} samples/s`, note: best.peer });

  if (b && best)
    table.target({
      part,
      metric: 'service ÷ best peer',
      value: b.samplesPerSecond / best.samplesPerSecond,
      target: GOALS.serviceOverBestPeer,
      note: `${b.median.backend} against ${best.peer}`,
    });
  if (a && b)
    table.target({
      part,
      metric: 'service ÷ bare tfjs loop',
      value: b.samplesPerSecond / a.samplesPerSecond,
      target: GOALS.serviceOverBareLoop,
      note: a.backend === b.median.backend ? `both ${a.backend}` : `NOT the same backend: loop ${a.backend}, service ${b.median.backend}`,
    });
}
