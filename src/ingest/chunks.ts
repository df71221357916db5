/** Collects parsed rows into slices of float32, bounded in bytes, and hands each full slice to a sink. */

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
  /** Fills in the labels of a slice written without them (a JSON body whose x came before its y). */
  writeTargets(index: number, values: Float32Array, codes: Float32Array): Promise<void>;
}

/**
 * Bytes of float32 per stored slice. A slice is built whole in memory, written as one bytea and
 * read back whole by the training child, so this bounds what one slice costs on both sides: a
 * row count alone did not (10,000 rows of 50,000 columns is 2 GB).
 */
export const CHUNK_BYTES = 1 << 20;
/**
 * Rows per slice at most, whatever their size: the labels of a slice written before its labels
 * arrive (see ChunkSink.writeTargets) are gathered for this many rows at most.
 */
export const MAX_CHUNK_ROWS = 16_384;

/** Rows in one slice for rows of `exampleSize` features and `targetWidth` target values. */
export function rowsPerChunk(exampleSize: number, targetWidth: number): number {
  const rowBytes = 4 * (exampleSize + targetWidth + 1);
  return Math.max(1, Math.min(MAX_CHUNK_ROWS, Math.floor(CHUNK_BYTES / rowBytes)));
}

/**
 * A sink whose writes run one after another in the order they were asked for, even when they
 * are started together from inside one synchronous callback: a slice's labels must not be
 * written before the slice itself.
 */
export class SerialSink implements ChunkSink {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly inner: ChunkSink) {}
  write(chunk: Chunk): Promise<void> {
    return this.then(() => this.inner.write(chunk));
  }
  writeTargets(index: number, values: Float32Array, codes: Float32Array): Promise<void> {
    return this.then(() => this.inner.writeTargets(index, values, codes));
  }
  private then(next: () => Promise<void>): Promise<void> {
    this.tail = this.tail.then(next);
    return this.tail;
  }
}

export class ChunkBuilder {
  readonly chunkRows: number;
  private features: Float32Array;
  private values: Float32Array;
  private codes: Float32Array;
  private rows = 0;
  private index = 0;
  /** Rows of each slice written so far, in order. */
  readonly written: number[] = [];
  total = 0;

  /** `targetWidth` 0: slices are written without labels, to be filled in by writeTargets. */
  constructor(
    private readonly exampleSize: number,
    private readonly targetWidth: number,
    private readonly sink: ChunkSink,
  ) {
    this.chunkRows = rowsPerChunk(exampleSize, Math.max(1, targetWidth));
    this.features = new Float32Array(this.chunkRows * exampleSize);
    this.values = new Float32Array(this.chunkRows * targetWidth);
    this.codes = new Float32Array(targetWidth === 0 ? 0 : this.chunkRows);
  }

  /** The next row's slots to fill: write features at `featureOffset`, the target at `row`. */
  next(): { featureOffset: number; row: number; features: Float32Array; values: Float32Array; codes: Float32Array } {
    return { featureOffset: this.rows * this.exampleSize, row: this.rows, features: this.features, values: this.values, codes: this.codes };
  }

  /**
   * Marks the row filled; when that fills the slice, writes it out (the answer is that write,
   * else undefined). The builder is ready for the next row at once: a caller that cannot await
   * here (a synchronous token callback) may await the write later.
   */
  commit(): Promise<void> | undefined {
    this.rows += 1;
    this.total += 1;
    return this.rows === this.chunkRows ? this.flush() : undefined;
  }

  /** Writes out the rows so far as one slice (copied, so the builder's arrays are free again at once). */
  flush(): Promise<void> {
    if (this.rows === 0) return Promise.resolve();
    const n = this.rows;
    const chunk: Chunk = {
      index: this.index,
      rows: n,
      features: this.features.slice(0, n * this.exampleSize),
      values: this.values.slice(0, n * this.targetWidth),
      codes: this.codes.slice(0, this.targetWidth === 0 ? 0 : n),
    };
    this.written.push(n);
    this.index += 1;
    this.rows = 0;
    return this.sink.write(chunk);
  }
}
