/**
 * CSV with a header row, streamed: the label column named by `label`, every other column a
 * numeric feature. Rows are parsed and written out slice by slice as they arrive, so the file
 * is never held whole; the first bad row stops the upload with its line and column.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { invalid } from '../../../errors.ts';
import { ChunkBuilder, type ChunkSink } from './chunks.ts';
import { LabelCollector, NUMBER, type Task } from './labels.ts';
import type { Ingested } from './types.ts';

export async function ingestCsv(input: Readable, opts: { label?: string; task: Task }, sink: ChunkSink): Promise<Ingested> {
  if (!opts.label) invalid('label', 'is required for CSV: name the column that holds the labels (?label=COLUMN)');
  const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true });
  // pipeline, not pipe: an error upstream (the size limit) must end the loop below with that error.
  pipeline(input, parser).catch(() => {});
  const labels = new LabelCollector();
  let header: string[] | undefined;
  let labelIndex = -1;
  let builder: ChunkBuilder | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record;
      labelIndex = header.indexOf(opts.label);
      if (labelIndex < 0) invalid('label', `no column "${opts.label}" in the header (columns: ${header.join(', ')})`);
      if (header.length < 2) invalid('body', 'has no feature column besides the label');
      builder = new ChunkBuilder(header.length - 1, 1, sink);
      continue;
    }
    const line = info.lines;
    if (record.length !== header.length) invalid(`line ${line}`, `has ${record.length} fields, the header has ${header.length}`);
    const slot = builder!.next();
    let j = slot.featureOffset;
    for (let c = 0; c < record.length; c++) {
      if (c === labelIndex) continue;
      const field = record[c];
      if (!NUMBER.test(field)) invalid(`line ${line}, column "${header[c]}"`, `${JSON.stringify(field.slice(0, 40))} is not a number`);
      slot.features[j++] = Number(field);
    }
    const { value, code } = labels.add(record[labelIndex]);
    slot.values[slot.row] = value;
    slot.codes[slot.row] = code;
    await builder!.commit();
  }
  if (!header) invalid('body', 'is empty: send a CSV with a header row and at least one data row');
  if (builder!.total === 0) invalid('body', 'has a header but no data rows');
  await builder!.flush();
  return { rows: builder!.total, featureShape: [header.length - 1], labels: labels.finish(opts.task, `column "${opts.label}"`), targetDims: 1, labelColumn: opts.label };
}
