/**
 * JSON `{ x: number[][] | number[][][] …, y: number[] | string[] | number[][] }`, streamed:
 * the body is tokenized as it arrives (@streamparser/json's Tokenizer) and each number goes
 * straight into the slice being built, so neither the text nor a tree of arrays is ever held
 * (JSON.parse of a few hundred MB took the whole process down). Every example must have x[0]'s
 * shape; nesting is bounded while streaming; values must be finite float32.
 *
 * x and y may come in either order. x first (as JSON.stringify({ x, y }) writes it): slices
 * are written with their features, and their labels are filled in as y arrives. y first: its
 * labels are held (compactly, up to Y_FIRST_MAX_VALUES) until the examples arrive.
 */
import type { Readable } from 'node:stream';
import { Tokenizer, TokenType, type ParsedTokenInfo } from '@streamparser/json';
import { DomainError, invalid } from '../errors.ts';
import { ChunkBuilder, SerialSink, type ChunkSink } from './chunks.ts';
import { JsonGrammar } from './json-grammar.ts';
import { LabelCollector, type Task } from './labels.ts';
import type { Ingested } from './types.ts';
import { checkFloat32 } from './values.ts';

/** Rank of an example at most: images are rank 3; the bound keeps deep nesting from growing anything. */
export const MAX_EXAMPLE_RANK = 8;
/** Numbers in one regression target row at most. */
export const MAX_TARGET_DIMS = 1024;
/** Label values held when y comes before x (float32 values and codes: 8 bytes each, so 64 MiB). */
export const Y_FIRST_MAX_VALUES = 8 * 1024 * 1024;
/** Longest single token (a string or a number) in bytes; longer is no label or number of ours. */
const MAX_TOKEN_BYTES = 1 << 20;

export interface JsonOptions {
  task: Task;
  /** Values in one example at most (MAX_FEATURES). */
  maxFeatures: number;
}

/** A growable float32 buffer, for the labels of a y that comes before x. */
class Floats {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/** Turns tokens into slices; see the file comment. Methods run synchronously inside Tokenizer.write. */
class DatasetReader {
  readonly grammar = new JsonGrammar(2 + MAX_EXAMPLE_RANK + 1);
  private key: 'x' | 'y' | undefined;
  private readonly seen = new Set<string>();
  /** Slice writes started inside a write() call, awaited after it (a failure is kept, never left unhandled). */
  private pending: Promise<void>[] = [];
  private failure: unknown;

  // x: examples so far, the shape x[0] set, the position inside the current example.
  examples = 0;
  shape: number[] | undefined;
  private firstShape: Array<number | undefined> = [];
  private rank: number | undefined;
  /** Elements so far in each open array of the current example (index = level, 0 = x itself). */
  private counts: number[] = [];
  private first: number[] = [];
  private filled = 0;
  builder: ChunkBuilder | undefined;
  private slot: ReturnType<ChunkBuilder['next']> | undefined;

  // y: labels so far, row targets being read, where they go.
  labelsSeen = 0;
  targetDims: number | undefined;
  private row: number[] | undefined;
  readonly labels = new LabelCollector((i) => `y[${i}]`);
  private yValues: Floats | undefined;
  private yCodes: Floats | undefined;
  /** x first: the slice whose labels are being gathered, and its buffers. */
  private targetChunk = 0;
  private targetRow = 0;
  private chunkValues: Float32Array | undefined;
  private chunkCodes: Float32Array | undefined;

  constructor(
    private readonly opts: JsonOptions,
    private readonly sink: ChunkSink,
  ) {}

  token({ token, value, offset }: ParsedTokenInfo): void {
    const depth = this.grammar.depth; // before this token
    const isKey = token === TokenType.STRING && this.grammar.expectsKey;
    this.grammar.accept(token, offset);
    if (depth === 0) {
      if (token !== TokenType.LEFT_BRACE) invalid('body', 'must be a JSON object { x, y }');
      return;
    }
    if (depth === 1) {
      if (isKey) return this.startField(value as string);
      if (token === TokenType.RIGHT_BRACE || token === TokenType.COLON || token === TokenType.COMMA) return;
      if (token !== TokenType.LEFT_BRACKET) {
        invalid(this.key!, this.key === 'x' ? 'must be a non-empty array of examples' : 'must be an array with one label per example');
      }
      return;
    }
    if (token === TokenType.COMMA) return;
    if (this.key === 'x') this.xToken(token, value, depth - 2);
    else this.yToken(token, value, depth - 2);
  }

  private startField(name: string): void {
    if (name !== 'x' && name !== 'y') invalid(name, 'unknown field: the body is { x, y }');
    if (this.seen.has(name)) invalid(name, 'appears twice');
    this.seen.add(name);
    this.key = name;
  }

  /** `x[i][a][b]`: the element last added at `level` of the current example. */
  private xPath(level: number): string {
    return `x[${this.examples}]${this.counts
      .slice(1, level + 1)
      .map((c) => `[${c - 1}]`)
      .join('')}`;
  }

  /** A token inside x; `level` 0 is x's own array, 1 an example's, and so on. */
  private xToken(token: TokenType, value: unknown, level: number): void {
    if (token === TokenType.RIGHT_BRACKET) return level === 0 ? this.endX() : this.closeX(level);
    if (token === TokenType.LEFT_BRACKET) {
      this.addElement(level);
      if (level + 1 > MAX_EXAMPLE_RANK) invalid(`x[${this.examples}]`, `is nested deeper than ${MAX_EXAMPLE_RANK} levels`);
      if (this.rank !== undefined && level + 1 > this.rank) this.misshapen();
      this.counts[level + 1] = 0;
      return;
    }
    if (token !== TokenType.NUMBER) {
      invalid(
        `x[${this.examples}]`,
        `must hold numbers only, got ` +
          `${token === TokenType.STRING ? JSON.stringify(String(value).slice(0, 40)) : TokenType[token].toLowerCase().replace('_', ' ')}`,
      );
    }
    this.rank ??= level;
    if (level !== this.rank) this.misshapen();
    this.addElement(level);
    const v = value as number;
    if (!Number.isFinite(Math.fround(v))) checkFloat32(v, String(v), this.xPath(level));
    this.put(v);
    if (level === 0) this.endExample();
  }

  /** Counts an element of the array at `level`, refusing one more than x[0] has there. */
  private addElement(level: number): void {
    if (level === 0) {
      this.counts = [0];
      this.filled = 0;
      if (this.shape === undefined) this.first = [];
      else this.slot = this.builder!.next();
      return;
    }
    const limit = this.shape?.[level - 1];
    if (limit !== undefined && this.counts[level] + 1 > limit) this.misshapen();
    this.counts[level] += 1;
  }

  private misshapen(): never {
    invalid(`x[${this.examples}]`, `must have shape [${this.shape ?? this.firstShape}] like x[0]`);
  }

  private put(v: number): void {
    if (this.shape === undefined) {
      if (this.first.length >= this.opts.maxFeatures)
        invalid(`x[${this.examples}]`, `has more than ${this.opts.maxFeatures} values (MAX_FEATURES)`);
      this.first.push(v);
    } else {
      this.slot!.features[this.slot!.featureOffset + this.filled++] = v;
    }
  }

  /** `]` closing an array at `level` ≥ 1 inside an example. */
  private closeX(level: number): void {
    const count = this.counts[level];
    if (count === 0) invalid(this.xPath(level - 1), 'has an empty array');
    if (this.shape === undefined) {
      const known = this.firstShape[level - 1];
      if (known === undefined) this.firstShape[level - 1] = count;
      else if (known !== count) invalid(`x[${this.examples}]`, `has arrays of different lengths (${known} and ${count}) at the same depth`);
    } else if (count !== this.shape[level - 1]) {
      this.misshapen();
    }
    if (level === 1) this.endExample();
  }

  private endExample(): void {
    if (this.shape === undefined) {
      this.rank ??= 0; // an example of arrays with no number in them is caught as empty above
      this.shape = this.firstShape.slice(0, this.rank) as number[];
      const size = this.shape.reduce((a, b) => a * b, 1);
      // x first: slices are written without labels (width 0) and get them when y arrives.
      this.builder = new ChunkBuilder(size, this.yValues ? (this.targetDims ?? 1) : 0, this.sink);
      this.slot = this.builder.next();
      this.slot.features.set(this.first, this.slot.featureOffset);
      this.first = [];
    }
    if (this.yValues) this.copyHeldLabel();
    this.examples += 1;
    this.track(this.builder!.commit());
  }

  /** y came first: the label of the example being committed. */
  private copyHeldLabel(): void {
    const i = this.examples;
    if (i >= this.labelsSeen) invalid('y', `must be an array with one label per example: x has more than ${this.labelsSeen}`);
    const width = this.targetDims ?? 1;
    const slot = this.slot!;
    slot.values.set(this.yValues!.data.subarray(i * width, (i + 1) * width), slot.row * width);
    slot.codes[slot.row] = this.yCodes!.data[i];
  }

  private endX(): void {
    if (this.examples === 0) invalid('x', 'must be a non-empty array of examples');
    this.track(this.builder!.flush()); // every slice's row count is known from here on
  }

  /** A token inside y; `level` 0 is y's own array, 1 a row of regression targets. */
  private yToken(token: TokenType, value: unknown, level: number): void {
    if (level === 0) {
      if (token === TokenType.RIGHT_BRACKET) return this.endY();
      if (token === TokenType.LEFT_BRACKET) {
        this.targetDims ??= this.labelsSeen === 0 ? 0 : 1; // 0: not yet known, set when y[0] closes
        if (this.targetDims === 1 && !this.row) invalid(`y[${this.labelsSeen}]`, 'must be a number or a string like y[0]');
        if (this.opts.task === 'classification')
          invalid('y', 'rows of numbers are regression targets; send one label per example for classes');
        this.row = [];
        return;
      }
      if (this.row !== undefined || (this.targetDims !== undefined && this.targetDims !== 1))
        invalid(`y[${this.labelsSeen}]`, 'must be an array of numbers like y[0]');
      this.targetDims = 1;
      if (token === TokenType.NUMBER) {
        const v = value as number;
        if (!Number.isFinite(v)) checkFloat32(v, String(v), `y[${this.labelsSeen}]`);
        return this.emitLabel(String(v));
      }
      if (token === TokenType.STRING) return this.emitLabel(value as string);
      invalid(`y[${this.labelsSeen}]`, `must be a number or a string, got ${TokenType[token].toLowerCase()}`);
    }
    const row = this.row!;
    if (token === TokenType.RIGHT_BRACKET) return this.endRow(row);
    if (token !== TokenType.NUMBER) invalid(`y[${this.labelsSeen}][${row.length}]`, 'must be a number');
    const v = value as number;
    checkFloat32(v, String(v), `y[${this.labelsSeen}][${row.length}]`);
    if (row.length >= MAX_TARGET_DIMS) invalid(`y[${this.labelsSeen}]`, `has more than ${MAX_TARGET_DIMS} targets`);
    row.push(v);
  }

  private endRow(row: number[]): void {
    if (this.targetDims === 0) {
      if (row.length === 0) invalid('y[0]', 'is an empty array');
      this.targetDims = row.length;
    } else if (row.length !== this.targetDims) {
      invalid(`y[${this.labelsSeen}]`, `must have ${this.targetDims} numbers like y[0]`);
    }
    this.row = undefined;
    this.store(row, 0);
  }

  private emitLabel(label: string): void {
    const { value, code } = this.labels.add(label, this.labelsSeen);
    this.store(value, code);
  }

  /** One example's target value(s) and code: held (y first) or put in its slice's labels (x first). */
  private store(values: number[] | number, code: number): void {
    const width = this.targetDims!;
    if (!this.builder) {
      this.yValues ??= new Floats();
      this.yCodes ??= new Floats();
      if (this.yValues.length + width > Y_FIRST_MAX_VALUES) {
        invalid('y', `holds more than ${Y_FIRST_MAX_VALUES} values before x: send x first (as { "x": …, "y": … }) for datasets this large`);
      }
      if (typeof values === 'number') this.yValues.push(values);
      else for (const v of values) this.yValues.push(v);
      this.yCodes.push(code);
    } else {
      const rows = this.builder.written[this.targetChunk];
      if (rows === undefined) invalid('y', `must be an array with one label per example (${this.examples})`);
      this.chunkValues ??= new Float32Array(rows * width);
      this.chunkCodes ??= new Float32Array(rows);
      if (typeof values === 'number') this.chunkValues[this.targetRow] = values;
      else this.chunkValues.set(values, this.targetRow * width);
      this.chunkCodes[this.targetRow] = code;
      this.targetRow += 1;
      if (this.targetRow === rows) {
        this.track(this.sink.writeTargets(this.targetChunk, this.chunkValues, this.chunkCodes));
        this.targetChunk += 1;
        this.targetRow = 0;
        this.chunkValues = undefined;
        this.chunkCodes = undefined;
      }
    }
    this.labelsSeen += 1;
  }

  private endY(): void {
    if (this.labelsSeen === 0) invalid('y', 'must be an array with one label per example');
  }

  private track(write: Promise<void> | undefined): void {
    if (write)
      this.pending.push(
        write.then(undefined, (err: unknown) => {
          this.failure ??= err;
        }),
      );
  }

  /** Waits for the slice writes started so far; rethrows the first that failed. */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows a slice write's own rejection, as it came
    if (this.failure) throw this.failure;
  }
}

export async function ingestJson(input: Readable, opts: JsonOptions, sink: ChunkSink): Promise<Ingested> {
  const reader = new DatasetReader(opts, new SerialSink(sink));
  try {
    return await read(input, opts, reader);
  } catch (err) {
    // Let the slice writes under way finish first, so the caller's clean-up comes after them.
    await reader.settle().catch(() => {});
    throw err;
  }
}

async function read(input: Readable, opts: JsonOptions, reader: DatasetReader): Promise<Ingested> {
  const tokenizer = new Tokenizer();
  let lastToken = -1;
  tokenizer.onToken = (info) => {
    lastToken = info.offset;
    reader.token(info);
  };
  const write = (data: Buffer | null) => {
    try {
      if (data) tokenizer.write(data);
      else tokenizer.end();
    } catch (err) {
      if (err instanceof DomainError) throw err;
      invalid('body', `is not JSON: ${(err as Error).message}`);
    }
  };
  let bytes = 0;
  for await (const data of input) {
    bytes += (data as Buffer).length;
    write(data as Buffer);
    if (bytes - lastToken > MAX_TOKEN_BYTES)
      invalid('body', `holds a value (or white space) longer than ${MAX_TOKEN_BYTES} bytes at byte ${lastToken + 1}`);
    await reader.settle();
  }
  if (lastToken < 0) invalid('body', 'is empty');
  write(null);
  await reader.settle();
  if (!reader.grammar.ended) invalid('body', 'is not JSON: it ends before its last value does');
  if (!reader.builder) invalid('x', 'must be a non-empty array of examples');
  if (reader.labelsSeen !== reader.examples) invalid('y', `must be an array with one label per example (${reader.examples})`);
  // y first: the slices get their labels as they are built; the last one is written now.
  await reader.builder.flush();
  const multi = reader.targetDims !== 1;
  return {
    rows: reader.examples,
    featureShape: reader.shape!,
    targetDims: reader.targetDims!,
    labels: multi ? { kind: 'regression' } : reader.labels.finish(opts.task, 'y'),
  };
}
