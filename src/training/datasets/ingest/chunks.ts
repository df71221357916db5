/** Collects parsed rows into fixed-size slices of float32 and hands each full slice to a sink. */

export interface Chunk {
  index: number;
  rows: number;
  /** rows × exampleSize feature values. */
  features: Float32Array;
  /** rows × targetWidth values: label values (regression) or codes (classes), see labels.ts. */
  values: Float32Array;
  codes: Float32Array;
}

export interface ChunkSink {
  write(chunk: Chunk): Promise<void>;
}

/** Rows per stored slice: 20 columns × 10,000 rows is 800 kB of float32, small enough that
 * reading a slice (hex text, then bytes, then floats) leaves little garbage at a time. */
export const CHUNK_ROWS = 10_000;

export class ChunkBuilder {
  private features: Float32Array;
  private values: Float32Array;
  private codes: Float32Array;
  private rows = 0;
  private index = 0;
  total = 0;

  constructor(private readonly exampleSize: number, private readonly targetWidth: number, private readonly sink: ChunkSink) {
    this.features = new Float32Array(CHUNK_ROWS * exampleSize);
    this.values = new Float32Array(CHUNK_ROWS * targetWidth);
    this.codes = new Float32Array(CHUNK_ROWS);
  }

  /** The next row's slots to fill: write features at `featureOffset`, the target at `row`. */
  next(): { featureOffset: number; row: number; features: Float32Array; values: Float32Array; codes: Float32Array } {
    return { featureOffset: this.rows * this.exampleSize, row: this.rows, features: this.features, values: this.values, codes: this.codes };
  }

  /** Marks the row filled; writes the slice out when it is full. */
  async commit(): Promise<void> {
    this.rows += 1;
    this.total += 1;
    if (this.rows === CHUNK_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows === 0) return;
    const n = this.rows;
    await this.sink.write({
      index: this.index,
      rows: n,
      features: this.features.slice(0, n * this.exampleSize),
      values: this.values.slice(0, n * this.targetWidth),
      codes: this.codes.slice(0, n),
    });
    this.index += 1;
    this.rows = 0;
  }
}
