/**
 * The streamed JSON dataset reader, without a server: what it stores is exactly the body's
 * numbers and labels, in slices bounded in bytes, whatever the order of x and y and however
 * the body is cut into pieces; what is not JSON (or not our JSON) is refused.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import { CHUNK_BYTES, MAX_CHUNK_ROWS, type Chunk, type ChunkSink } from '../../src/ingest/chunks.ts';
import { ingestJson } from '../../src/ingest/json.ts';

/** A sink that keeps slices in memory, labels filled in later as the store does. */
function memorySink() {
  const chunks: Chunk[] = [];
  const sink: ChunkSink = {
    async write(chunk) {
      chunks[chunk.index] = { ...chunk };
    },
    async writeTargets(index, values, codes) {
      assert.ok(chunks[index], `labels of slice ${index} arrive after the slice`);
      chunks[index] = { ...chunks[index], values, codes };
    },
  };
  return { sink, chunks };
}

/** The body cut into pieces of `size` bytes (tokens split across pieces). */
const pieces = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return Readable.from(out);
};

const ingest = (text: string, size = 65536, task: 'auto' | 'classification' | 'regression' = 'auto') => {
  const { sink, chunks } = memorySink();
  return ingestJson(pieces(text, size), { task, maxFeatures: 100_000 }, sink).then((result) => ({ result, chunks }));
};

/** JSON writes -0 as 0: compare with what the body says. */
const plain = (v: number) => v + 0;

/** Concatenates the slices' arrays in order. */
function joined(chunks: Chunk[], key: 'features' | 'values' | 'codes'): number[] {
  return chunks.flatMap((c) => [...c[key]]);
}

describe('streamed JSON datasets', () => {
  const N = 40_000; // more than two slices of MAX_CHUNK_ROWS rows
  const names = ['c', 'a', 'b'];
  const x = Array.from({ length: N }, (_, i) => [i, -i / 2]); // exact in float32
  const y = Array.from({ length: N }, (_, i) => names[i % 3]);

  for (const [order, body] of [
    ['x before y', JSON.stringify({ x, y })],
    ['y before x', JSON.stringify({ y, x })],
  ]) {
    it(`${order}: every feature and label is stored, in slices of at most ${MAX_CHUNK_ROWS} rows`, async () => {
      const { result, chunks } = await ingest(body);
      assert.equal(result.rows, N);
      assert.deepEqual(result.featureShape, [2]);
      // Codes are the order labels were first seen: c 0, a 1, b 2; classes sorted by name.
      assert.deepEqual(result.labels, {
        kind: 'classes',
        classes: [
          { name: 'a', code: 1 },
          { name: 'b', code: 2 },
          { name: 'c', code: 0 },
        ],
      });
      assert.ok(chunks.length >= 3 && chunks.every((c) => c.rows <= MAX_CHUNK_ROWS), chunks.map((c) => c.rows).join(','));
      assert.deepEqual(joined(chunks, 'features'), x.flat().map(plain));
      assert.deepEqual(
        joined(chunks, 'codes'),
        y.map((_, i) => i % 3),
      );
    });
  }

  it('gives the same slices when the body arrives 7 bytes at a time', async () => {
    const body = JSON.stringify({ x: x.slice(0, 3000), y: y.slice(0, 3000) });
    const whole = await ingest(body);
    const cut = await ingest(body, 7);
    assert.deepEqual(cut.chunks, whole.chunks);
    assert.deepEqual(cut.result, whole.result);
  });

  it('rows of regression targets and rank-3 examples keep their numbers and shapes', async () => {
    const images = Array.from({ length: 5 }, (_, i) => [
      [[i], [i + 0.5]],
      [[-i], [2 * i]],
    ]);
    const targets = Array.from({ length: 5 }, (_, i) => [i, 10 * i, 0.25]);
    const { result, chunks } = await ingest(`\n {"x": ${JSON.stringify(images)},\n "y": ${JSON.stringify(targets)} }\n`);
    assert.deepEqual([result.rows, result.featureShape, result.targetDims, result.labels.kind], [5, [2, 2, 1], 3, 'regression']);
    assert.deepEqual(joined(chunks, 'features'), images.flat(3).map(plain));
    assert.deepEqual(joined(chunks, 'values'), targets.flat());
  });

  it(`slices are bounded by ${CHUNK_BYTES} bytes, not by a row count`, async () => {
    const wide = Array.from({ length: 120 }, (_, i) => Array.from({ length: 5000 }, (_, j) => (i + j) % 5));
    const { chunks } = await ingest(JSON.stringify({ x: wide, y: wide.map((_, i) => i % 2) }));
    assert.equal(
      chunks.reduce((n, c) => n + c.rows, 0),
      120,
    );
    for (const c of chunks) assert.ok(c.features.byteLength <= CHUNK_BYTES, `${c.features.byteLength} bytes`);
    assert.ok(chunks.length >= 3);
  });

  const REFUSED: Array<[string, string, RegExp]> = [
    ['two values without a comma', '{"x":[[1 2]],"y":[0]}', /^body: is not JSON: unexpected number/],
    ['two fields without a comma', '{"x":[[1],[2]] "y":[0,1]}', /^body: is not JSON: unexpected string/],
    ['something after the object', '{"x":[[1],[2]],"y":[0,1]} {}', /^body: is not JSON/],
    ['a body cut short', '{"x":[[1],[2]],"y":[0,', /^body: is not JSON/],
    ['an array at the top', '[[1],[2]]', /^body: must be a JSON object \{ x, y \}/],
    ['white space only', '  \n ', /^body: is empty/],
    ['x of numbers and arrays', '{"x":[[1],2],"y":[0,1]}', /^x\[1\]: must have shape \[1\] like x\[0\]/],
    ['labels of numbers and rows', '{"x":[[1],[2]],"y":[0,[1]]}', /^y\[1\]: must be a number or a string like y\[0\]/],
    ['more labels than examples', '{"x":[[1],[2]],"y":[0,1,0]}', /^y: must be an array with one label per example \(2\)/],
    ['an empty example', '{"x":[[]],"y":[0]}', /^x\[0\]: has an empty array/],
    ['a string in x', '{"x":[["1"]],"y":[0]}', /^x\[0\]: must hold numbers only, got "1"/],
    ['an object in x', '{"x":[{"a":1}],"y":[0]}', /^x\[0\]: must hold numbers only, got left brace/],
  ];
  for (const [what, body, message] of REFUSED) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(ingest(body), (err: unknown) => {
        assert.ok(err instanceof InvalidInputError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
