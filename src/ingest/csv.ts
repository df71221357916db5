/**
 * CSV with a header row, streamed: the label column named by `label`, every other column a
 * numeric feature. Rows are parsed and written out slice by slice as they arrive, so the file
 * is never held whole; the first bad row stops the upload with its line and column.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { invalid } from '../errors.ts';
import { ChunkBuilder, type ChunkSink } from './chunks.ts';
import { LabelCollector, NUMBER, type Task } from './labels.ts';
import { lineGuard } from './line-guard.ts';
import type { Ingested } from './types.ts';
import { MAX_LABEL_CHARS, checkFloat32, checkText } from './values.ts';

/** Bytes a CSV field may take on average: a float32 written in full is under 20. */
const BYTES_PER_COLUMN = 64;

/** Bytes one CSV line may take with `maxFeatures` feature columns: 64 a column on average, plus a label. */
export const maxCsvLineBytes = (maxFeatures: number): number => (maxFeatures + 1) * BYTES_PER_COLUMN + MAX_LABEL_CHARS;

export interface CsvOptions {
  label?: string;
  task: Task;
  /** Feature columns at most (MAX_FEATURES); the label column comes on top. */
  maxFeatures: number;
}

export async function ingestCsv(input: Readable, opts: CsvOptions, sink: ChunkSink): Promise<Ingested> {
  try {
    return await ingest(input, opts, sink);
  } catch (err) {
    // csv-parse's own errors (a quote in the middle of a field, …) are the user's data, not ours.
    if (err instanceof CsvError) invalid('body', `is not valid CSV: ${err.message.slice(0, 160)}`);
    throw err;
  }
}

async function ingest(input: Readable, opts: CsvOptions, sink: ChunkSink): Promise<Ingested> {
  const labelName = opts.label;
  if (!labelName) invalid('label', 'is required for CSV: name the column that holds the labels (?label=COLUMN)');
  checkText(labelName, 'label');
  const maxColumns = opts.maxFeatures + 1;
  const guard = lineGuard(maxColumns, maxCsvLineBytes(opts.maxFeatures), `MAX_FEATURES is ${opts.maxFeatures}`);
  const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true });
  // pipeline, not pipe: an error upstream (the size limit, the guard) must end the loop below with that error.
  pipeline(input, guard, parser).catch(() => {});
  let header: string[] | undefined;
  let labelIndex = -1;
  const labels = new LabelCollector((line) => `line ${line}, column "${labelName}"`);
  let builder: ChunkBuilder | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record;
      labelIndex = header.indexOf(labelName);
      if (labelIndex < 0)
        invalid(
          'label',
          `no column "${labelName}" in the header (columns: ${header.slice(0, 50).join(', ')}${header.length > 50 ? ', …' : ''})`,
        );
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
      const value = Number(field);
      checkFloat32(value, field, `line ${line}, column "${header[c]}"`);
      slot.features[j++] = value;
    }
    const { value, code } = labels.add(record[labelIndex], line);
    slot.values[slot.row] = value;
    slot.codes[slot.row] = code;
    await builder!.commit();
  }
  if (!header) invalid('body', 'is empty: send a CSV with a header row and at least one data row');
  if (builder!.total === 0) invalid('body', 'has a header but no data rows');
  await builder!.flush();
  return {
    rows: builder!.total,
    featureShape: [header.length - 1],
    labels: labels.finish(opts.task, `column "${labelName}"`),
    targetDims: 1,
    labelColumn: labelName,
  };
}
