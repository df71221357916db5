/**
 * JSON `{ x: number[][] | number[][][] …, y: number[] | string[] | number[][] }`. The body is
 * parsed whole (it is bounded by the upload limit; CSV is the format for large data), then
 * written out slice by slice. Every example must have x[0]'s shape.
 */
import { invalid } from '../../../errors.ts';
import { ChunkBuilder, type ChunkSink } from './chunks.ts';
import { LabelCollector, type Task } from './labels.ts';
import type { Ingested } from './types.ts';

function shapeOf(example: unknown, path: string): number[] {
  const shape: number[] = [];
  let level = example;
  while (Array.isArray(level)) {
    if (level.length === 0) invalid(path, 'has an empty array');
    shape.push(level.length);
    level = level[0];
  }
  if (typeof level !== 'number') invalid(path, 'must be an array of numbers (or of arrays of numbers)');
  return shape;
}

/** Writes the numbers of `value` (of shape `shape`) into out[offset…]; answers the next offset. */
function flatten(value: unknown, shape: number[], depth: number, out: Float32Array, offset: number, path: string): number {
  if (!Array.isArray(value) || value.length !== shape[depth]) invalid(path, `must have shape [${shape.slice(depth)}] like x[0]`);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (depth === shape.length - 1) {
      if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`${path}[${i}]`, `must be a finite number, got ${JSON.stringify(v)}`);
      out[offset++] = v;
    } else {
      offset = flatten(v, shape, depth + 1, out, offset, `${path}[${i}]`);
    }
  }
  return offset;
}

export async function ingestJson(text: string, opts: { task: Task }, sink: ChunkSink): Promise<Ingested> {
  if (text.trim() === '') invalid('body', 'is empty');
  let data: { x?: unknown; y?: unknown };
  try {
    data = JSON.parse(text);
  } catch (err) {
    invalid('body', `is not JSON: ${(err as Error).message}`);
  }
  const { x, y } = data ?? {};
  if (!Array.isArray(x) || x.length === 0) invalid('x', 'must be a non-empty array of examples');
  if (!Array.isArray(y) || y.length !== x.length) invalid('y', `must be an array with one label per example (${x.length})`);
  const featureShape = shapeOf(x[0], 'x[0]');
  const size = featureShape.reduce((a, b) => a * b, 1);
  const multi = Array.isArray(y[0]);
  const targetDims = multi ? (y[0] as unknown[]).length : 1;
  if (multi && opts.task === 'classification') invalid('y', 'rows of numbers are regression targets; send one label per example for classes');
  const builder = new ChunkBuilder(size, targetDims, sink);
  const labels = new LabelCollector();
  for (let i = 0; i < x.length; i++) {
    const slot = builder.next();
    flatten(x[i], featureShape, 0, slot.features, slot.featureOffset, `x[${i}]`);
    if (multi) {
      flatten(y[i], [targetDims], 0, slot.values, slot.row * targetDims, `y[${i}]`);
    } else {
      const label = y[i];
      if (typeof label !== 'string' && (typeof label !== 'number' || !Number.isFinite(label))) invalid(`y[${i}]`, `must be a number or a string, got ${JSON.stringify(label)}`);
      const { value, code } = labels.add(String(label));
      slot.values[slot.row] = value;
      slot.codes[slot.row] = code;
    }
    await builder.commit();
  }
  await builder.flush();
  return { rows: x.length, featureShape, labels: multi ? { kind: 'regression' } : labels.finish(opts.task, 'y'), targetDims };
}
